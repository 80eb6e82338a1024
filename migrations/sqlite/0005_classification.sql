-- PII classification (docs/classifiers.md): entity types defined by stewards, the settings that turn verdicts
-- into tags, one current verdict per column and entity with its review status, and the history of verdicts and
-- steward decisions (kept when the table goes).

CREATE TABLE entity_types (
  name TEXT PRIMARY KEY,
  pattern TEXT NOT NULL,
  context_words TEXT NOT NULL DEFAULT '[]',
  created_by TEXT NOT NULL DEFAULT '',
  create_time INTEGER NOT NULL
);

CREATE TABLE classification_settings (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  settings TEXT NOT NULL,
  version INTEGER NOT NULL,
  update_time INTEGER NOT NULL
);

CREATE TABLE column_classifications (
  table_id INTEGER NOT NULL REFERENCES tables (id) ON DELETE CASCADE,
  database_name TEXT NOT NULL,
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  entity TEXT NOT NULL,
  status TEXT NOT NULL,
  confidence REAL NOT NULL,
  sample_size INTEGER NOT NULL,
  matched INTEGER NOT NULL,
  masked_example TEXT NOT NULL DEFAULT '',
  fingerprint TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT '',
  classified_time INTEGER NOT NULL,
  decided_by TEXT NOT NULL DEFAULT '',
  decided_time INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL,
  PRIMARY KEY (database_name, table_name, column_name, entity)
);
CREATE INDEX column_classifications_by_table_id ON column_classifications (table_id);
CREATE INDEX column_classifications_by_status ON column_classifications (status, database_name, table_name);

CREATE TABLE classification_events (
  id INTEGER PRIMARY KEY,
  database_name TEXT NOT NULL,
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  entity TEXT NOT NULL,
  event TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT '',
  actor TEXT NOT NULL DEFAULT '',
  time INTEGER NOT NULL,
  confidence REAL NOT NULL DEFAULT 0,
  sample_size INTEGER NOT NULL DEFAULT 0,
  matched INTEGER NOT NULL DEFAULT 0,
  note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX classification_events_by_table ON classification_events (database_name, table_name, id);
