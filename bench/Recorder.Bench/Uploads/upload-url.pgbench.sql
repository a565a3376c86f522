-- One POST /api/recordings/uploads as the app runs it, statement for statement, as recorder_app (row-level security on):
-- the session lookup (CredentialStore), then one transaction (UserTransaction, StorageQuota, UploadService, AuditLog).
-- pgbench cannot build strings, so the bench gives the floor's sessions numeric ids (1000000 + n, same users) and the
-- audit details are built in SQL (pgbench reads :name in a literal as a variable); the values are the bench request's. Keep in step with the app's SQL.
\set sid 1000000 + random(0, 999)
SELECT p.expire AS expire, p.user_id AS uid, u.id IS NOT NULL AS user_found, u.is_active AS is_active FROM recorder_session_user(:sid) p LEFT JOIN users u ON u.id = p.user_id \gset
BEGIN;
SELECT set_config('app.user_id', :uid, true), pg_advisory_xact_lock(hashtext('recorder.quota'), hashtext(:uid));
SELECT coalesce((SELECT used_bytes FROM user_storage_usage WHERE user_id = :uid), 0)::bigint AS used_bytes, (SELECT limit_bytes FROM user_storage_limits WHERE user_id = :uid) AS limit_bytes;
WITH recording AS (INSERT INTO recordings (id, user_id, project_id, title, description, recording_type, file_size, mime_type, blob_name, quality, metadata, client_id, live, live_contact_at) SELECT next.id, :uid, NULL, 'Bench recording', NULL, 'camera', 1048576, 'video/webm;codecs=vp8,opus', :uid || '/' || next.id || '/' || '00112233445566778899aabbccddeeff.webm', 'high', '{}'::jsonb, NULL, false, CASE WHEN false THEN now() END FROM (SELECT nextval(pg_get_serial_sequence('recordings', 'id')) AS id) AS next RETURNING id, blob_name), audited AS (INSERT INTO audit_log (actor_type, actor_id, user_id, action, recording_id, outcome, request_id, client_ip, user_agent, details) SELECT 'user', :uid, :uid, 'recording.create', id, 'success', 'pgbench', '127.0.0.1'::inet, 'pgbench', jsonb_build_object('recordingType', 'camera', 'fileSize', 1048576, 'mimeType', 'video/webm;codecs=vp8,opus', 'live', false) FROM recording) SELECT id, blob_name FROM recording;
COMMIT;
