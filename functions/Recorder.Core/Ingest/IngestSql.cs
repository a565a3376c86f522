namespace Recorder.Core.Ingest;

/// <summary>The statements of ingest, run as recorder_maintenance (BYPASSRLS: ingest works across users).</summary>
internal static class IngestSql
{
    public const string LockByBlobName = """
        SELECT id AS Id, user_id AS UserId, status AS Status, blob_sequencer AS Sequencer
        FROM recordings WHERE blob_name = @BlobName
        FOR UPDATE
        """;

    public const string MarkProcessing = """
        UPDATE recordings
        SET status = 'processing', blob_etag = @ETag, blob_sequencer = @Sequencer, processing_started_at = now(),
            ingest_lease_id = NULL, ingest_lease_until = NULL
        WHERE id = @Id
        """;

    // A worker takes the recording only while it still awaits this very blob version and nobody else holds it.
    public const string Claim = """
        UPDATE recordings
        SET ingest_lease_id = @LeaseId, ingest_lease_until = now() + @LeaseDuration, ingest_attempts = ingest_attempts + 1
        WHERE id = @Id AND status = 'processing' AND blob_etag = @ETag
          AND (ingest_lease_until IS NULL OR ingest_lease_until < now())
        RETURNING id AS Id, user_id AS UserId, blob_name AS BlobName, mime_type AS MimeType, recording_type AS RecordingType
        """;

    public const string Release = "UPDATE recordings SET ingest_lease_id = NULL, ingest_lease_until = NULL WHERE id = @Id AND ingest_lease_id = @LeaseId";

    // Bytes of the owner's other live recordings, and the owner's limit (null: the default applies).
    public const string OwnerUsage = """
        SELECT coalesce(sum(file_size), 0)::bigint AS UsedBytes,
               (SELECT limit_bytes FROM user_storage_limits WHERE user_id = @UserId) AS LimitBytes
        FROM recordings
        WHERE user_id = @UserId AND id <> @Id AND status IN ('uploading', 'processing', 'completed')
        """;

    public const string Complete = """
        UPDATE recordings
        SET status = 'completed', duration = @Duration, file_size = @FileSize, mime_type = @MimeType,
            metadata = metadata || jsonb_build_object('media', @Media::jsonb),
            thumbnail_blob_name = @ThumbnailBlobName, completed_at = now(),
            failure_code = NULL, failure_reason = NULL, ingest_lease_id = NULL, ingest_lease_until = NULL
        WHERE id = @Id AND ingest_lease_id = @LeaseId AND blob_etag = @ETag
        """;

    public const string Fail = """
        UPDATE recordings
        SET status = 'failed', failure_code = @Code, failure_reason = @Reason,
            metadata = CASE WHEN @Detail::text IS NULL THEN metadata
                            ELSE metadata || jsonb_build_object('ingestError', @Detail::text) END,
            ingest_lease_id = NULL, ingest_lease_until = NULL
        WHERE id = @Id AND ingest_lease_id = @LeaseId
        """;

    // For poison messages: whatever the lease, a recording still processing this blob version fails.
    public const string FailProcessing = """
        UPDATE recordings
        SET status = 'failed', failure_code = @Code, failure_reason = @Reason,
            ingest_lease_id = NULL, ingest_lease_until = NULL
        WHERE id = @Id AND status = 'processing' AND blob_etag = @ETag
        RETURNING user_id
        """;

    public const string SeekableCandidate = """
        SELECT id AS Id, user_id AS UserId, blob_name AS BlobName, duration AS Duration
        FROM recordings
        WHERE id = @Id AND status = 'completed' AND blob_etag = @ETag AND media_blob_name IS NULL
        """;

    public const string UseSeekableCopy = """
        UPDATE recordings SET media_blob_name = @MediaBlobName
        WHERE id = @Id AND status = 'completed' AND blob_etag = @ETag AND media_blob_name IS NULL
        """;

    public const string Exists = "SELECT EXISTS (SELECT 1 FROM recordings WHERE blob_name = @BlobName)";

    public const string Audit = """
        INSERT INTO audit_log (actor_type, actor_id, user_id, action, recording_id, outcome, details)
        VALUES ('system', 'ingest', @UserId, @Action, @RecordingId, @Outcome, @Details::jsonb)
        """;

    // Idempotent: one pending transcription task per recording, however often ingest completes it.
    public const string TranscriptionTask = """
        INSERT INTO ai_generation_tasks (user_id, task_type, prompt, status, metadata)
        SELECT @UserId, 'transcription', 'Transcribe recording ' || @Id, 'pending',
               jsonb_build_object('recordingId', @Id, 'source', 'recorder-functions')
        WHERE NOT EXISTS (
          SELECT 1 FROM ai_generation_tasks
          WHERE task_type = 'transcription' AND metadata ->> 'recordingId' = @Id::text)
        """;
}
