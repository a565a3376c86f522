-- Fills a freshly migrated database with {recordings} recordings across {users} users, as production holds
-- them (RealisticData.cs: the database benchmark and the query plan tests). Statements end with ";" at the
-- end of a line. Parameters are spliced in as literals: {users} {recordings} {skew} {session_ratio} {edit_ratio}.
-- Data is consistent by construction, so a bulk load may skip the foreign-key triggers.

INSERT INTO users (id, email, password, first_name, last_name)
SELECT 'u' || lpad(i::text, 6, '0'), 'u' || i || '@example.test', 'x', 'Bench', 'User ' || i
FROM generate_series(0, {users} - 1) AS i;

-- 1 % of users have their own storage limit.
INSERT INTO user_storage_limits (user_id, limit_bytes)
SELECT 'u' || lpad(i::text, 6, '0'), (20 + (i % 5) * 20)::bigint * 1024 * 1024 * 1024
FROM generate_series(0, {users} - 1, 100) AS i;

-- Owner rank floor(users * random()^skew): the heaviest user owns users^(-1/skew) of all recordings (with
-- skew 2.5: 1 % among 100 000 users, 5 % among 2 000), the top 1 % of users 16 %, the median user about
-- 0.0006 %. Created over the last 406 days, so about
-- 10 % are past a 365-day retention; 95 % completed.
INSERT INTO recordings (id, user_id, title, recording_type, duration, file_size, mime_type, blob_name, thumbnail_blob_name,
                        quality, status, failure_code, failure_reason, metadata, created_at, updated_at, completed_at, blob_etag, blob_sequencer)
SELECT g, owner, 'Recording ' || g, kind, duration, size, mime,
       owner || '/' || g || '/' || md5(g::text) || ext,
       CASE WHEN status = 'completed' THEN owner || '/' || g || '/thumbnail.jpg' END,
       'high', status,
       CASE WHEN status = 'failed' THEN 'corrupt_media' END,
       CASE WHEN status = 'failed' THEN 'ffprobe could not read the file.' END,
       CASE WHEN status = 'completed' THEN '{"media": {"container": "webm", "hasVideo": true, "hasAudio": true}}'::jsonb ELSE '{}'::jsonb END,
       created, created, CASE WHEN status = 'completed' THEN created + interval '20 seconds' END,
       '"0x' || to_hex(g) || '"', lpad(to_hex(g), 32, '0')
FROM (
  SELECT g,
         'u' || lpad(floor({users} * power(random(), {skew}))::int::text, 6, '0') AS owner,
         (ARRAY['camera', 'audio', 'screen', 'screen-camera', 'slides-camera', 'slides'])[1 + (g % 6)] AS kind,
         CASE WHEN g % 6 = 1 THEN 'audio/webm;codecs=opus' ELSE 'video/webm;codecs=vp8,opus' END AS mime,
         '.webm' AS ext,
         round((random() * 1800)::numeric, 3) AS duration,
         1 + floor(random() * 200 * 1024 * 1024)::bigint AS size,
         CASE WHEN s < 0.95 THEN 'completed' WHEN s < 0.98 THEN 'failed' WHEN s < 0.99 THEN 'processing' ELSE 'uploading' END AS status,
         CASE WHEN s >= 0.98 THEN now() - random() * interval '2 hours' ELSE now() - random() * interval '406 days' END AS created
  FROM (SELECT g, random() AS s FROM generate_series(1, {recordings}) AS g) AS numbered
) AS rows;
SELECT setval(pg_get_serial_sequence('recordings', 'id'), {recordings});

-- Sessions: one per recording for {session_ratio} of them (the recorder page's sessions), ended and linked.
INSERT INTO recording_sessions (user_id, recording_type, started_at, ended_at, last_heartbeat_at, duration, status, recording_id, created_at)
SELECT user_id, recording_type, created_at - interval '10 minutes', created_at, created_at, duration,
       CASE WHEN status = 'completed' THEN 'completed' ELSE 'interrupted' END, id, created_at - interval '10 minutes'
FROM recordings WHERE id % 100 < {session_ratio} * 100;

-- Edits: one to three on {edit_ratio} of the recordings.
INSERT INTO recording_edits (recording_id, user_id, edit_type, parameters, applied_at, sequence, state)
SELECT r.id, r.user_id, (ARRAY['trim', 'crop', 'filter', 'text_overlay'])[1 + ((r.id + n) % 4)], '{"start": 1.5, "end": 30}'::jsonb,
       r.created_at + n * interval '1 minute', n, 'applied'
FROM recordings AS r, generate_series(1, 1 + (r.id % 3)::int) AS n
WHERE r.id % 1000 < {edit_ratio} * 1000 / 2;
