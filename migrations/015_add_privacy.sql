-- Privacy duties (docs/privacy.md): data exports a user asks for, and the erasure of a user's recorder data.
--
--   privacy_exports       one zip per request in the exports container ({user}/exports/{id}.zip), built by a
--                         queue worker, readable through a short-lived SAS until expires_at; the privacy sweep
--                         deletes expired ones (blob first, then row). One pending export per user at a time.
--   privacy_erasures      one row per erasure: it knows the user (user_id) for as long as anything of theirs may
--                         still be in storage, so a run that dies half-way is finished by a re-run or the sweep
--                         and no blob is ever left that no row knows about. 'pending': rows and blobs going;
--                         'finishing': rows gone, storage swept again until finish_after (late writes of
--                         in-flight work); 'completed': user_id cleared, only subject_hash and counts remain.
--   privacy_subject_key   the key of subject_hash (HMAC-SHA256 of the user's blob folder). Receipts and late
--                         BlobCreated events are matched by the hash; without the key, which only
--                         recorder_maintenance may read, a receipt cannot be tied back to a user id.

CREATE TABLE privacy_exports (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id VARCHAR NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  status VARCHAR NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'building', 'ready', 'failed')),
  blob_name VARCHAR(1024),
  size_bytes BIGINT CHECK (size_bytes >= 0),
  failure_reason TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_until TIMESTAMPTZ,
  requested_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  completed_at TIMESTAMPTZ,
  expires_at TIMESTAMPTZ NOT NULL,
  CHECK ((status = 'ready') = (completed_at IS NOT NULL AND blob_name IS NOT NULL))
);

-- At most one export in the making per user: a second request gets the pending one back.
CREATE UNIQUE INDEX idx_privacy_exports_one_pending ON privacy_exports (user_id) WHERE status IN ('pending', 'building');
CREATE INDEX idx_privacy_exports_user ON privacy_exports (user_id, id);
CREATE INDEX idx_privacy_exports_expires ON privacy_exports (expires_at, id);

CREATE TABLE privacy_erasures (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id VARCHAR,                           -- no foreign key: the erasure outlives the user row if the app deletes it
  subject_hash CHAR(64) NOT NULL,            -- hex HMAC-SHA256 of the user's blob folder (privacy_subject_key)
  status VARCHAR NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'finishing', 'completed')),
  requested_by VARCHAR NOT NULL CHECK (requested_by IN ('user', 'operator')),
  requested_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  rows_deleted_at TIMESTAMPTZ,
  finish_after TIMESTAMPTZ,
  completed_at TIMESTAMPTZ,
  counts JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(counts) = 'object'),
  CHECK ((status = 'completed') = (user_id IS NULL)),
  CHECK (status = 'pending' OR (rows_deleted_at IS NOT NULL AND finish_after IS NOT NULL))
);

CREATE UNIQUE INDEX idx_privacy_erasures_one_open ON privacy_erasures (user_id) WHERE status <> 'completed';
CREATE INDEX idx_privacy_erasures_subject ON privacy_erasures (subject_hash);

CREATE TABLE privacy_subject_key (
  id SMALLINT PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  key BYTEA NOT NULL CHECK (octet_length(key) >= 32)
);
-- 32 bytes from two random UUIDs (gen_random_uuid uses the server's strong random source; 122 bits each).
INSERT INTO privacy_subject_key (key)
VALUES (decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));

ALTER TABLE privacy_exports ENABLE ROW LEVEL SECURITY;
ALTER TABLE privacy_exports FORCE ROW LEVEL SECURITY;
CREATE POLICY privacy_exports_owner ON privacy_exports
  USING (user_id = (SELECT NULLIF(current_setting('app.user_id', true), '')))
  WITH CHECK (user_id = (SELECT NULLIF(current_setting('app.user_id', true), '')));

ALTER TABLE privacy_erasures ENABLE ROW LEVEL SECURITY;
ALTER TABLE privacy_erasures FORCE ROW LEVEL SECURITY;
CREATE POLICY privacy_erasures_owner_reads ON privacy_erasures FOR SELECT
  USING (user_id = (SELECT NULLIF(current_setting('app.user_id', true), '')));

-- No policy: only BYPASSRLS (recorder_maintenance, which alone has the grant) reads the key.
ALTER TABLE privacy_subject_key ENABLE ROW LEVEL SECURITY;
ALTER TABLE privacy_subject_key FORCE ROW LEVEL SECURITY;

-- The HTTP path asks for exports and reads its own (RLS); the worker, the sweep and erasure run as maintenance.
GRANT SELECT, INSERT ON privacy_exports TO recorder_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON privacy_exports TO recorder_maintenance;
GRANT SELECT, INSERT, UPDATE ON privacy_erasures TO recorder_maintenance;
GRANT SELECT ON privacy_subject_key TO recorder_maintenance;
-- Erasure removes the erased user's audit entries (the receipt that replaces them names no one). Nobody else
-- deletes audit entries.
GRANT DELETE ON audit_log TO recorder_maintenance;
