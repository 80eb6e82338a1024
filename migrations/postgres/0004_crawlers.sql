-- Crawlers: definitions (JSON text owned by crawler/definition.h), runs with the lease that keeps one run at a
-- time per crawler across nodes, the per-file state of incremental crawls, and named object-store connections.
-- Names use the "C" collation so that ordering (and keyset paging) is bytewise, as in SQLite.

CREATE TABLE crawlers (
  name TEXT COLLATE "C" PRIMARY KEY,
  definition TEXT NOT NULL,
  version BIGINT NOT NULL,
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL,
  next_run BIGINT,
  state TEXT NOT NULL DEFAULT 'READY',
  current_run BIGINT,
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_expires BIGINT NOT NULL DEFAULT 0,
  last_run BIGINT
);

CREATE TABLE crawler_runs (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  crawler TEXT COLLATE "C" NOT NULL REFERENCES crawlers (name) ON DELETE CASCADE,
  trigger_kind TEXT NOT NULL,
  owner TEXT NOT NULL,
  start_time BIGINT NOT NULL,
  end_time BIGINT,
  status TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  stats TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX crawler_runs_by_crawler ON crawler_runs (crawler, id);

CREATE TABLE crawler_files (
  crawler TEXT COLLATE "C" NOT NULL REFERENCES crawlers (name) ON DELETE CASCADE,
  path TEXT COLLATE "C" NOT NULL,
  size BIGINT NOT NULL,
  mtime BIGINT NOT NULL,
  etag TEXT NOT NULL DEFAULT '',
  file_schema TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (crawler, path)
);

CREATE TABLE connections (
  name TEXT COLLATE "C" PRIMARY KEY,
  type TEXT NOT NULL,
  properties TEXT NOT NULL DEFAULT '{}',
  sealed_secret TEXT NOT NULL DEFAULT '',
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL
);
