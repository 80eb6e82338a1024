-- The audit log stored per appended batch (replaces 0002's audit_log, one row per entry with three indexes).
-- A batch of entries appended together is one row of audit_batches: its entries as a JSON array of
-- [seq, time, request_id, principal, action, resource, decision, [deciding_ids...], detail, hash], in seq
-- order; the prev_hash of its first entry (each later entry's prev_hash is the hash before it); the hash of
-- its last entry (what the next batch links to); its first and last seq and its earliest and latest time.
-- audit_batch_principals and audit_batch_resources hold one row per distinct principal and resource of a
-- batch, keyed by the batch's first_seq, so that appending N entries writes one row plus a few index rows.
-- seq stays 1, 2, ... without gaps across batches; hash = SHA-256 over prev_hash and the entry, as before.

CREATE TABLE audit_batches (
  first_seq INTEGER PRIMARY KEY,
  last_seq INTEGER NOT NULL,
  min_time INTEGER NOT NULL,
  max_time INTEGER NOT NULL,
  prev_hash TEXT NOT NULL,
  last_hash TEXT NOT NULL,
  entries TEXT NOT NULL
);
CREATE INDEX audit_batches_by_time ON audit_batches (max_time);

CREATE TABLE audit_batch_principals (
  principal TEXT NOT NULL,
  first_seq INTEGER NOT NULL,
  PRIMARY KEY (principal, first_seq)
) WITHOUT ROWID;

CREATE TABLE audit_batch_resources (
  resource TEXT NOT NULL,
  first_seq INTEGER NOT NULL,
  PRIMARY KEY (resource, first_seq)
) WITHOUT ROWID;

-- Existing entries become one batch each, with their values unchanged, so that the chain still verifies
-- (deciding_ids that are not valid JSON are kept as text: the batch then fails verification, as it should).
INSERT INTO audit_batches (first_seq, last_seq, min_time, max_time, prev_hash, last_hash, entries)
SELECT seq, seq, time, time, prev_hash, hash,
       json_array(json_array(seq, time, request_id, principal, action, resource, decision,
                             CASE WHEN json_valid(deciding_ids) THEN json(deciding_ids) ELSE deciding_ids END,
                             detail, hash))
FROM audit_log;
INSERT INTO audit_batch_principals (principal, first_seq) SELECT principal, seq FROM audit_log;
INSERT INTO audit_batch_resources (resource, first_seq) SELECT resource, seq FROM audit_log;

DROP TABLE audit_log;
