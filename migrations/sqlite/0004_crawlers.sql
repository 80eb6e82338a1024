-- Crawlers: definitions (JSON text owned by crawler/definition.h), runs with the lease that keeps one run at a
-- time per crawler across nodes, the per-file state of incremental crawls, and named object-store connections.

CREATE TABLE crawlers (
  name TEXT PRIMARY KEY,
  definition TEXT NOT NULL,
  version INTEGER NOT NULL,
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL,
  next_run INTEGER,
  state TEXT NOT NULL DEFAULT 'READY',
  current_run INTEGER,
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_expires INTEGER NOT NULL DEFAULT 0,
  last_run INTEGER
);

CREATE TABLE crawler_runs (
  id INTEGER PRIMARY KEY,
  crawler TEXT NOT NULL REFERENCES crawlers (name) ON DELETE CASCADE,
  trigger_kind TEXT NOT NULL,
  owner TEXT NOT NULL,
  start_time INTEGER NOT NULL,
  end_time INTEGER,
  status TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  stats TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX crawler_runs_by_crawler ON crawler_runs (crawler, id);

CREATE TABLE crawler_files (
  crawler TEXT NOT NULL REFERENCES crawlers (name) ON DELETE CASCADE,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime INTEGER NOT NULL,
  etag TEXT NOT NULL DEFAULT '',
  file_schema TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (crawler, path)
) WITHOUT ROWID;

CREATE TABLE connections (
  name TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  properties TEXT NOT NULL DEFAULT '{}',
  sealed_secret TEXT NOT NULL DEFAULT '',
  create_time INTEGER NOT NULL,
  update_time INTEGER NOT NULL
);
