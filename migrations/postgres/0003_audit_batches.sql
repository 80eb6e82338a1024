-- The audit log stored per appended batch (replaces 0002's audit_log, one row per entry with three indexes).
-- A batch of entries appended together is one row of audit_batches: its entries as a JSON array of
-- [seq, time, request_id, principal, action, resource, decision, [deciding_ids...], detail, hash], in seq
-- order; the prev_hash of its first entry (each later entry's prev_hash is the hash before it); the hash of
-- its last entry (what the next batch links to); its first and last seq and its earliest and latest time.
-- audit_batch_principals and audit_batch_resources hold one row per distinct principal and resource of a
-- batch, keyed by the batch's first_seq, so that appending N entries writes one row plus a few index rows.
-- seq stays 1, 2, ... without gaps across batches; hash = SHA-256 over prev_hash and the entry, as before.
-- entries is TEXT, not JSONB: the store writes and reads the text, and JSONB would be parsed on every append.
-- It is TOASTed with LZ4 where the server has it: pglz costs ~10 us of server CPU per entry, LZ4 ~1 us.

CREATE TABLE audit_batches (
  first_seq BIGINT PRIMARY KEY,
  last_seq BIGINT NOT NULL,
  min_time BIGINT NOT NULL,
  max_time BIGINT NOT NULL,
  prev_hash TEXT NOT NULL,
  last_hash TEXT NOT NULL,
  entries TEXT NOT NULL
);
CREATE INDEX audit_batches_by_time ON audit_batches (max_time);
DO $$
BEGIN
  ALTER TABLE audit_batches ALTER COLUMN entries SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'this PostgreSQL lacks LZ4: audit batches are compressed with pglz';
END
$$;

CREATE TABLE audit_batch_principals (
  principal TEXT COLLATE "C" NOT NULL,
  first_seq BIGINT NOT NULL,
  PRIMARY KEY (principal, first_seq)
);

CREATE TABLE audit_batch_resources (
  resource TEXT COLLATE "C" NOT NULL,
  first_seq BIGINT NOT NULL,
  PRIMARY KEY (resource, first_seq)
);

-- Existing entries become one batch each, with their values unchanged, so that the chain still verifies.
INSERT INTO audit_batches (first_seq, last_seq, min_time, max_time, prev_hash, last_hash, entries)
SELECT seq, seq, time, time, prev_hash, hash,
       json_build_array(json_build_array(seq, time, request_id, principal, action, resource, decision,
                                         deciding_ids, detail, hash))::text
FROM audit_log;
INSERT INTO audit_batch_principals (principal, first_seq) SELECT principal, seq FROM audit_log;
INSERT INTO audit_batch_resources (resource, first_seq) SELECT resource, seq FROM audit_log;

DROP TABLE audit_log;
