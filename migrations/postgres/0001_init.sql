-- Cairn catalog schema, PostgreSQL dialect. Times are milliseconds since the Unix epoch; maps and lists are JSONB.
-- Names and keys use the "C" collation so that ordering (and keyset paging) is bytewise, as in SQLite.

CREATE TABLE databases (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name TEXT COLLATE "C" NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  location_uri TEXT NOT NULL DEFAULT '',
  parameters JSONB NOT NULL DEFAULT '{}',
  create_time BIGINT NOT NULL
);

CREATE TABLE tables (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  database_id BIGINT NOT NULL REFERENCES databases (id) ON DELETE CASCADE,
  name TEXT COLLATE "C" NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  owner TEXT NOT NULL DEFAULT '',
  table_type TEXT NOT NULL DEFAULT '',
  parameters JSONB NOT NULL DEFAULT '{}',
  retention INTEGER NOT NULL DEFAULT 0,
  partition_keys JSONB NOT NULL DEFAULT '[]',
  storage_descriptor JSONB NOT NULL DEFAULT '{}',
  view_original_text TEXT NOT NULL DEFAULT '',
  view_expanded_text TEXT NOT NULL DEFAULT '',
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL,
  version_id BIGINT NOT NULL,
  UNIQUE (database_id, name)
);

-- Every version of every table, the current one included (full table as JSON).
CREATE TABLE table_versions (
  table_id BIGINT NOT NULL REFERENCES tables (id) ON DELETE CASCADE,
  version_id BIGINT NOT NULL,
  update_time BIGINT NOT NULL,
  table_json JSONB NOT NULL,
  PRIMARY KEY (table_id, version_id)
);

-- part_key is the canonical identity of a partition (JSON text of its values); the primary key on
-- (table_id, part_key) serves lookups, range scans of one table and keyset paging.
CREATE TABLE partitions (
  table_id BIGINT NOT NULL REFERENCES tables (id) ON DELETE CASCADE,
  part_key TEXT COLLATE "C" NOT NULL,
  vals JSONB NOT NULL,
  storage_descriptor JSONB NOT NULL,
  parameters JSONB NOT NULL DEFAULT '{}',
  create_time BIGINT NOT NULL,
  last_access_time BIGINT NOT NULL,
  PRIMARY KEY (table_id, part_key)
);

CREATE TABLE principals (
  kind TEXT NOT NULL CHECK (kind IN ('user', 'role', 'group')),
  name TEXT COLLATE "C" NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  create_time BIGINT NOT NULL,
  PRIMARY KEY (kind, name)
);

CREATE TABLE group_members (
  group_kind TEXT NOT NULL DEFAULT 'group' CHECK (group_kind = 'group'),
  group_name TEXT COLLATE "C" NOT NULL,
  user_kind TEXT NOT NULL DEFAULT 'user' CHECK (user_kind = 'user'),
  user_name TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (group_kind, group_name, user_kind, user_name),
  FOREIGN KEY (group_kind, group_name) REFERENCES principals (kind, name) ON DELETE CASCADE,
  FOREIGN KEY (user_kind, user_name) REFERENCES principals (kind, name) ON DELETE CASCADE
);
CREATE INDEX group_members_by_user ON group_members (user_kind, user_name);

CREATE TABLE access_keys (
  access_key_id TEXT PRIMARY KEY,
  owner_kind TEXT NOT NULL CHECK (owner_kind IN ('user', 'role')),
  owner_name TEXT COLLATE "C" NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('Active', 'Inactive')),
  sealed_secret TEXT NOT NULL,
  create_time BIGINT NOT NULL,
  FOREIGN KEY (owner_kind, owner_name) REFERENCES principals (kind, name) ON DELETE CASCADE
);
CREATE INDEX access_keys_by_owner ON access_keys (owner_kind, owner_name);
