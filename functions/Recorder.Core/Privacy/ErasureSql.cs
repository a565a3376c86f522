namespace Recorder.Core.Privacy;

/// <summary>The statements of an erasure, run as recorder_maintenance (BYPASSRLS), each naming the user or the erasure.</summary>
internal static class ErasureSql
{
    private const string Columns = """
        id AS Id, user_id AS UserId, status AS Status, subject_hash AS SubjectHash, requested_by AS RequestedBy,
        requested_at AS RequestedAt, rows_deleted_at AS RowsDeletedAt, finish_after AS FinishAfter, completed_at AS CompletedAt,
        dead_letters_since AS DeadLettersSince, counts::text AS Counts, ledger_id AS LedgerId,
        array_to_string(ledgered_recordings, ',') AS LedgeredRecordingsText
        """;

    // No upload of the user's comes before its recording's row, whose creation is audited about them: the earliest
    // of those times is the earliest a dead-lettered event can name one of their blobs (migration 021).
    public const string Open = $"""
        INSERT INTO privacy_erasures (user_id, subject_hash, requested_by, dead_letters_since, ledger_id, ledgered_recordings)
        VALUES (@UserId, @SubjectHash, @RequestedBy,
                least((SELECT min(created_at) FROM recordings WHERE user_id = @UserId),
                      (SELECT min(occurred_at) FROM audit_log WHERE user_id = @UserId)),
                coalesce(@LedgerId::uuid, gen_random_uuid()), @LedgeredRecordings::bigint[])
        ON CONFLICT (user_id) WHERE status <> 'completed' DO NOTHING
        RETURNING {Columns}
        """;

    public const string OpenOne = $"SELECT {Columns} FROM privacy_erasures WHERE user_id = @UserId AND status <> 'completed'";

    public const string ById = $"SELECT {Columns} FROM privacy_erasures WHERE id = @Id";

    public const string ByLedgerId = $"SELECT {Columns} FROM privacy_erasures WHERE ledger_id = @LedgerId";

    // What the ledger entry of an erasure lists: every recording it marked, made before it or while it ran.
    public const string Marked = "SELECT id FROM recordings WHERE user_id = @UserId AND status = 'deleting' ORDER BY id";

    public const string Ledgered = """
        UPDATE privacy_erasures
        SET ledgered_recordings = ARRAY(SELECT DISTINCT unnest(coalesce(ledgered_recordings, '{}') || @Ids::bigint[]) ORDER BY 1)
        WHERE id = @Id
        """;

    // Every user id a restored database may hold recorder data of: the app's users, open erasures (their user row may
    // be gone) and audit entries about a user.
    public const string KnownUsers = """
        SELECT id FROM users
        UNION SELECT user_id FROM privacy_erasures WHERE user_id IS NOT NULL
        UNION SELECT user_id FROM audit_log WHERE user_id IS NOT NULL
        """;

    // The subject hash outlives the user id, so a user finds their erasure after it completed too; nobody else's.
    public const string ByIdForSubject = $"SELECT {Columns} FROM privacy_erasures WHERE id = @Id AND subject_hash = @SubjectHash";

    // "user", "recording" (one of theirs, also one this erasure marked: the hold keeps what is left of it) or null.
    public const string LegalHold = "SELECT recorder_user_data_hold(@UserId)";

    /// <summary>An erasure <c>e</c> that a legal hold stopped: pending (its rows not yet deleted) while the user's data is held.</summary>
    public const string StoppedByLegalHold = "e.status = 'pending' AND recorder_user_data_hold(e.user_id) IS NOT NULL";

    // Pending erasures of held users wait for the hold to be lifted; finishing ones only clear late writes.
    public const string OpenErasures = $"""
        SELECT e.id FROM privacy_erasures e
        WHERE e.status <> 'completed' AND NOT ({StoppedByLegalHold})
        ORDER BY e.id LIMIT @BatchSize
        """;

    public const string NextToMark = """
        SELECT id FROM recordings WHERE user_id = @UserId AND status <> 'deleting'
        ORDER BY id LIMIT @BatchSize FOR UPDATE
        """;

    public const string Mark = "UPDATE recordings SET status = 'deleting' WHERE id = ANY(@Ids)";

    // The rows DeleteRows erases, locked before it looks for a hold.
    public const string LockErased = "SELECT id FROM recordings WHERE user_id = @UserId AND status = 'deleting' FOR UPDATE";

    public const string LiveRecordings = "SELECT id FROM recordings WHERE user_id = @UserId AND status <> 'deleting'";

    // Sessions of the erased recordings and those linked to none; a session of a recording made after the erasure stays.
    public const string DeleteRows = """
        WITH erased AS (
          SELECT id FROM recordings WHERE user_id = @UserId AND status = 'deleting' FOR UPDATE
        ), sessions AS (
          DELETE FROM recording_sessions
          WHERE user_id = @UserId AND (recording_id IS NULL OR recording_id IN (SELECT id FROM erased))
          RETURNING 1
        ), edits AS (
          DELETE FROM recording_edits WHERE user_id = @UserId AND recording_id IN (SELECT id FROM erased) RETURNING 1
        ), exports AS (
          DELETE FROM privacy_exports WHERE user_id = @UserId RETURNING 1
        ), alerts AS (
          DELETE FROM alerts WHERE kind = @StorageUsageKind AND subject = @UserId RETURNING 1
        ), policies AS (
          DELETE FROM retention_policies WHERE user_id = @UserId RETURNING 1
        ), derived AS (
          -- Their blobs went with the storage sweep; the ledger's names carry the user's folder.
          DELETE FROM derived_blobs WHERE recording_id IN (SELECT id FROM erased) RETURNING 1
        ), events AS (
          -- Sent or not (docs/notifications.md); those of a recording made after the erasure stay with it.
          DELETE FROM recording_events e
          WHERE e.user_id = @UserId
            AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.id = e.recording_id AND r.status <> 'deleting')
          RETURNING 1
        )
        SELECT (SELECT count(*) FROM erased)::int AS Recordings, (SELECT count(*) FROM sessions)::int AS Sessions,
               (SELECT count(*) FROM edits)::int AS Edits, (SELECT count(*) FROM exports)::int AS Exports,
               (SELECT count(*) FROM alerts)::int AS Alerts, (SELECT count(*) FROM policies)::int AS RetentionPolicies,
               (SELECT count(*) FROM events)::int AS RecordingEvents
        """;

    public const string DeleteRecordings = "DELETE FROM recordings WHERE user_id = @UserId AND status = 'deleting'";

    // Entries about the user, by the user, or naming one of their blobs (quarantine and purge entries carry blobName).
    public const string DeleteAudit = """
        DELETE FROM audit_log
        WHERE user_id = @UserId OR (actor_type = 'user' AND actor_id = @UserId) OR starts_with(details ->> 'blobName', @Folder || '/')
        """;

    // Each step adds what it did in the transaction that did it, so counts add up over steps and runs, whoever runs
    // them. The soft-deleted blobs are those the last storage sweep saw (null: unchanged).
    public const string AddCounts = """
        UPDATE privacy_erasures e
        SET counts = e.counts
          || (SELECT coalesce(jsonb_object_agg(added.key, coalesce((e.counts ->> added.key)::int, 0) + added.value::int), '{}'::jsonb)
              FROM jsonb_each_text(@Added::jsonb) added WHERE added.key <> 'softDeletedLeftToRetention')
          || CASE WHEN @SoftDeleted::int IS NULL THEN '{}'::jsonb
                  ELSE jsonb_build_object('softDeletedLeftToRetention', @SoftDeleted::int) END
        WHERE id = @Id
        RETURNING counts::text
        """;

    public const string RowsDeleted = """
        UPDATE privacy_erasures SET status = 'finishing', rows_deleted_at = now(), finish_after = now() + @ErasureGracePeriod
        WHERE id = @Id AND status = 'pending'
        """;

    public const string Receipt = """
        INSERT INTO audit_log (actor_type, actor_id, user_id, action, outcome, details)
        VALUES ('system', @ActorId, NULL, @Action, 'success', @Details::jsonb)
        """;

    // A refusal is audited about the user (the user's own request, or the operator's as the system); nothing else is written.
    public const string Refused = """
        INSERT INTO audit_log (actor_type, actor_id, user_id, action, outcome, details)
        VALUES (CASE WHEN @RequestedBy = 'user' THEN 'user' ELSE 'system' END,
                CASE WHEN @RequestedBy = 'user' THEN @UserId ELSE @ActorId END,
                @UserId, @Action, 'rejected',
                jsonb_build_object('reason', 'legal hold', 'legalHold', @Held::text, 'requestedBy', @RequestedBy::text))
        """;

    public const string Complete = """
        UPDATE privacy_erasures SET status = 'completed', user_id = NULL, dead_letters_since = NULL, completed_at = now()
        WHERE id = @Id AND status = 'finishing' AND finish_after <= now()
        """;
}
