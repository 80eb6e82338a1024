-- Governance records: grants, data cells filters, LF-Tags and their assignments, registered data locations,
-- the policy epoch and the hash-chained audit log. Lists and maps are JSONB; names use the "C" collation
-- so that ordering (and keyset paging) is bytewise, as in SQLite. The *_id columns reference
-- what a record names so that deleting a database, table, filter, tag key or principal also deletes the
-- records naming it (the store deletes them explicitly first, to know whether the policy changed; the
-- cascades keep a record from ever outliving what it names).

CREATE TABLE tag_keys (
  key TEXT COLLATE "C" PRIMARY KEY,
  vals JSONB NOT NULL,
  create_time BIGINT NOT NULL
);

CREATE TABLE data_cells_filters (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  table_id BIGINT NOT NULL REFERENCES tables (id) ON DELETE CASCADE,
  database_id BIGINT NOT NULL REFERENCES databases (id) ON DELETE CASCADE,
  database_name TEXT COLLATE "C" NOT NULL,
  table_name TEXT COLLATE "C" NOT NULL,
  name TEXT COLLATE "C" NOT NULL,
  row_filter TEXT NOT NULL DEFAULT '',
  all_rows SMALLINT NOT NULL DEFAULT 0,
  columns JSONB NOT NULL DEFAULT '[]',
  column_wildcard SMALLINT NOT NULL DEFAULT 0,
  excluded_columns JSONB NOT NULL DEFAULT '[]',
  column_masks JSONB NOT NULL DEFAULT '{}',
  version_id BIGINT NOT NULL,
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL,
  UNIQUE (database_name, table_name, name)
);
CREATE INDEX data_cells_filters_by_table ON data_cells_filters (table_id);
CREATE INDEX data_cells_filters_by_database ON data_cells_filters (database_id);

-- resource_key is the canonical text of the resource (policy.h resource_key); one row per principal and
-- resource. principal_kind/principal_name are NULL for EVERYONE.
CREATE TABLE grants (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  principal TEXT COLLATE "C" NOT NULL,
  principal_kind TEXT,
  principal_name TEXT COLLATE "C",
  kind TEXT NOT NULL,
  resource_key TEXT COLLATE "C" NOT NULL,
  database_name TEXT COLLATE "C" NOT NULL DEFAULT '',
  table_name TEXT COLLATE "C" NOT NULL DEFAULT '',
  database_id BIGINT REFERENCES databases (id) ON DELETE CASCADE,
  table_id BIGINT REFERENCES tables (id) ON DELETE CASCADE,
  filter_id BIGINT REFERENCES data_cells_filters (id) ON DELETE CASCADE,
  columns JSONB NOT NULL DEFAULT '[]',
  column_wildcard SMALLINT NOT NULL DEFAULT 0,
  excluded_columns JSONB NOT NULL DEFAULT '[]',
  location TEXT COLLATE "C" NOT NULL DEFAULT '',
  filter_name TEXT COLLATE "C" NOT NULL DEFAULT '',
  tag_resource_type TEXT NOT NULL DEFAULT '',
  tag_expression JSONB NOT NULL DEFAULT '[]',
  column_masks JSONB NOT NULL DEFAULT '{}',
  permissions BIGINT NOT NULL,
  grantable BIGINT NOT NULL,
  expires_at BIGINT,
  granted_by TEXT NOT NULL DEFAULT '',
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL,
  FOREIGN KEY (principal_kind, principal_name) REFERENCES principals (kind, name) ON DELETE CASCADE
);
-- A resource key can be longer than a btree entry allows (a long column list): the identity indexes its
-- digest, and the store merges only into a row whose resource_key is equal (a digest collision fails).
CREATE UNIQUE INDEX grants_identity ON grants (principal, md5(resource_key));
CREATE INDEX grants_by_principal ON grants (principal, id);
CREATE INDEX grants_by_resource ON grants (database_name, table_name, id);
CREATE INDEX grants_by_kind ON grants (kind);
CREATE INDEX grants_by_database_id ON grants (database_id);
CREATE INDEX grants_by_table_id ON grants (table_id);
CREATE INDEX grants_by_filter_id ON grants (filter_id);
CREATE INDEX grants_by_principal_ref ON grants (principal_kind, principal_name);

-- One explicit assignment per target and key: table_name '' is the database itself, column_name '' the table.
CREATE TABLE tag_assignments (
  database_id BIGINT NOT NULL REFERENCES databases (id) ON DELETE CASCADE,
  table_id BIGINT REFERENCES tables (id) ON DELETE CASCADE,
  database_name TEXT COLLATE "C" NOT NULL,
  table_name TEXT COLLATE "C" NOT NULL DEFAULT '',
  column_name TEXT COLLATE "C" NOT NULL DEFAULT '',
  key TEXT COLLATE "C" NOT NULL REFERENCES tag_keys (key) ON DELETE CASCADE,
  value TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (database_name, table_name, column_name, key)
);
CREATE INDEX tag_assignments_by_key ON tag_assignments (key, value);
CREATE INDEX tag_assignments_by_database ON tag_assignments (database_id);
CREATE INDEX tag_assignments_by_table ON tag_assignments (table_id);

CREATE TABLE data_locations (
  uri TEXT COLLATE "C" PRIMARY KEY,
  role_arn TEXT NOT NULL DEFAULT '',
  registered_by TEXT NOT NULL DEFAULT '',
  create_time BIGINT NOT NULL
);

-- A single row counting governance changes (and principal and group membership changes).
CREATE TABLE policy_epoch (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  epoch BIGINT NOT NULL
);
INSERT INTO policy_epoch (id, epoch) VALUES (1, 0);

-- The audit log: seq is 1, 2, ... without gaps; hash = SHA-256 over prev_hash and the entry.
CREATE TABLE audit_log (
  seq BIGINT PRIMARY KEY,
  time BIGINT NOT NULL,
  request_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  principal TEXT COLLATE "C" NOT NULL DEFAULT '',
  action TEXT COLLATE "C" NOT NULL DEFAULT '',
  resource TEXT COLLATE "C" NOT NULL DEFAULT '',
  decision TEXT COLLATE "C" NOT NULL DEFAULT '',
  deciding_ids JSONB NOT NULL DEFAULT '[]',
  detail TEXT NOT NULL DEFAULT '',
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_log_by_principal ON audit_log (principal, seq);
CREATE INDEX audit_log_by_resource ON audit_log (resource, seq);
CREATE INDEX audit_log_by_time ON audit_log (time);
