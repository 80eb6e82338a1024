-- Governance records: grants, data cells filters, LF-Tags and their assignments, registered data locations,
-- the policy epoch and the hash-chained audit log. Lists and maps are JSON text. The *_id columns reference
-- what a record names so that deleting a database, table, filter, tag key or principal also deletes the
-- records naming it (the store deletes them explicitly first, to know whether the policy changed; the
-- cascades keep a record from ever outliving what it names).

CREATE TABLE tag_keys (
  key TEXT PRIMARY KEY,
  vals TEXT NOT NULL,
  create_time INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE data_cells_filters (
  id INTEGER PRIMARY KEY,
  table_id INTEGER NOT NULL REFERENCES tables (id) ON DELETE CASCADE,
  database_id INTEGER NOT NULL REFERENCES databases (id) ON DELETE CASCADE,
  database_name TEXT NOT NULL,
  table_name TEXT NOT NULL,
  name TEXT NOT NULL,
  row_filter TEXT NOT NULL DEFAULT '',
  all_rows INTEGER NOT NULL DEFAULT 0,
  columns TEXT NOT NULL DEFAULT '[]',
  column_wildcard INTEGER NOT NULL DEFAULT 0,
  excluded_columns TEXT NOT NULL DEFAULT '[]',
  column_masks TEXT NOT NULL DEFAULT '{}',
  version_id INTEGER NOT NULL,
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  UNIQUE (database_name, table_name, name)
);
CREATE INDEX data_cells_filters_by_table ON data_cells_filters (table_id);
CREATE INDEX data_cells_filters_by_database ON data_cells_filters (database_id);

-- resource_key is the canonical text of the resource (policy.h resource_key); one row per principal and
-- resource. principal_kind/principal_name are NULL for EVERYONE.
CREATE TABLE grants (
  id INTEGER PRIMARY KEY,
  principal TEXT NOT NULL,
  principal_kind TEXT,
  principal_name TEXT,
  kind TEXT NOT NULL,
  resource_key TEXT NOT NULL,
  database_name TEXT NOT NULL DEFAULT '',
  table_name TEXT NOT NULL DEFAULT '',
  database_id INTEGER REFERENCES databases (id) ON DELETE CASCADE,
  table_id INTEGER REFERENCES tables (id) ON DELETE CASCADE,
  filter_id INTEGER REFERENCES data_cells_filters (id) ON DELETE CASCADE,
  columns TEXT NOT NULL DEFAULT '[]',
  column_wildcard INTEGER NOT NULL DEFAULT 0,
  excluded_columns TEXT NOT NULL DEFAULT '[]',
  location TEXT NOT NULL DEFAULT '',
  filter_name TEXT NOT NULL DEFAULT '',
  tag_resource_type TEXT NOT NULL DEFAULT '',
  tag_expression TEXT NOT NULL DEFAULT '[]',
  column_masks TEXT NOT NULL DEFAULT '{}',
  permissions INTEGER NOT NULL,
  grantable INTEGER NOT NULL,
  expires_at INTEGER,
  granted_by TEXT NOT NULL DEFAULT '',
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  UNIQUE (principal, resource_key),
  FOREIGN KEY (principal_kind, principal_name) REFERENCES principals (kind, name) ON DELETE CASCADE
);
CREATE INDEX grants_by_principal ON grants (principal, id);
CREATE INDEX grants_by_resource ON grants (database_name, table_name, id);
CREATE INDEX grants_by_kind ON grants (kind);
CREATE INDEX grants_by_database_id ON grants (database_id);
CREATE INDEX grants_by_table_id ON grants (table_id);
CREATE INDEX grants_by_filter_id ON grants (filter_id);
CREATE INDEX grants_by_principal_ref ON grants (principal_kind, principal_name);

-- One explicit assignment per target and key: table_name '' is the database itself, column_name '' the table.
CREATE TABLE tag_assignments (
  database_id INTEGER NOT NULL REFERENCES databases (id) ON DELETE CASCADE,
  table_id INTEGER REFERENCES tables (id) ON DELETE CASCADE,
  database_name TEXT NOT NULL,
  table_name TEXT NOT NULL DEFAULT '',
  column_name TEXT NOT NULL DEFAULT '',
  key TEXT NOT NULL REFERENCES tag_keys (key) ON DELETE CASCADE,
  value TEXT NOT NULL,
  PRIMARY KEY (database_name, table_name, column_name, key)
);
CREATE INDEX tag_assignments_by_key ON tag_assignments (key, value);
CREATE INDEX tag_assignments_by_database ON tag_assignments (database_id);
CREATE INDEX tag_assignments_by_table ON tag_assignments (table_id);

CREATE TABLE data_locations (
  uri TEXT PRIMARY KEY,
  role_arn TEXT NOT NULL DEFAULT '',
  registered_by TEXT NOT NULL DEFAULT '',
  create_time INTEGER NOT NULL
) WITHOUT ROWID;

-- A single row counting governance changes (and principal and group membership changes).
CREATE TABLE policy_epoch (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  epoch INTEGER NOT NULL
);
INSERT INTO policy_epoch (id, epoch) VALUES (1, 0);

-- The audit log: seq is 1, 2, ... without gaps; hash = SHA-256 over prev_hash and the entry.
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  request_id TEXT NOT NULL DEFAULT '',
  principal TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL DEFAULT '',
  resource TEXT NOT NULL DEFAULT '',
  decision TEXT NOT NULL DEFAULT '',
  deciding_ids TEXT NOT NULL DEFAULT '[]',
  detail TEXT NOT NULL DEFAULT '',
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_log_by_principal ON audit_log (principal, seq);
CREATE INDEX audit_log_by_resource ON audit_log (resource, seq);
CREATE INDEX audit_log_by_time ON audit_log (time);
