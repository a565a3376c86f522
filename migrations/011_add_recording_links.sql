-- recorder:no-transaction
-- Links from recordings into the main app's tables (docs/api/links.md): content items, social posts
-- and AI tasks made from a recording carry metadata.recordingId and recorder:// references.
--
-- The app's tables keep their definitions and get no row-level security (the main app does not set
-- app.user_id): every query of the recorder on them filters by the caller's user_id itself, and the
-- grants are the least that code needs. On the production database these tables hold rows, so the
-- lookup indexes are built CONCURRENTLY, outside a transaction; every statement is idempotent.
-- The indexes are deliberately not unique: the main app may copy a row with its metadata, and a
-- unique index would fail its insert. The recorder's own idempotency holds by an advisory lock.

-- "Rows made from recording N": the create paths' idempotency check and the delete rule.
-- Partial on IS NOT NULL, which a plain equality on the expression implies, so those queries use it.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_recorder_content_recording
  ON content ((metadata ->> 'recordingId')) WHERE (metadata ->> 'recordingId') IS NOT NULL;

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_recorder_social_posts_recording
  ON social_posts ((metadata ->> 'recordingId')) WHERE (metadata ->> 'recordingId') IS NOT NULL;

-- Also serves ingest's one-transcription-task-per-recording check.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_recorder_ai_tasks_recording
  ON ai_generation_tasks ((metadata ->> 'recordingId')) WHERE (metadata ->> 'recordingId') IS NOT NULL;

-- The HTTP path creates and reads these rows; on a recording's deletion it clears only the columns
-- that hold its references and marks metadata (column-level UPDATE: nothing else can change).
GRANT SELECT, INSERT ON content, social_posts, ai_generation_tasks TO recorder_app;
GRANT UPDATE (video_url, thumbnail_url, metadata, updated_at) ON content TO recorder_app;
GRANT UPDATE (media_urls, thumbnail_url, metadata, updated_at) ON social_posts TO recorder_app;
GRANT UPDATE (metadata) ON ai_generation_tasks TO recorder_app;
GRANT USAGE ON SEQUENCE content_id_seq, social_posts_id_seq, ai_generation_tasks_id_seq TO recorder_app;
