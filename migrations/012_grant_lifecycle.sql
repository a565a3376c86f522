-- The lifecycle sweep (recorder_maintenance) deletes recordings past retention, and a deletion
-- releases the app's rows made from the recording (Links.RecordingReferences.ReleaseAsync), exactly
-- as the HTTP delete does as recorder_app (011): the same column-level grants, no more.
-- SELECT is needed because those UPDATEs filter on user_id and metadata and return id.
GRANT SELECT ON content, social_posts TO recorder_maintenance;
GRANT UPDATE (video_url, thumbnail_url, metadata, updated_at) ON content TO recorder_maintenance;
GRANT UPDATE (media_urls, thumbnail_url, metadata, updated_at) ON social_posts TO recorder_maintenance;
GRANT UPDATE (metadata) ON ai_generation_tasks TO recorder_maintenance;
