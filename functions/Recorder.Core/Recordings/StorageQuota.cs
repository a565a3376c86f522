using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Api;

namespace Recorder.Core.Recordings;

/// <summary>
/// Bytes a user's live recordings hold (uploading, processing, completed: a pending upload reserves
/// its declared size) against their limit: a row in user_storage_limits, else the configured default.
/// </summary>
public sealed class StorageQuota(IOptions<RecordingsOptions> options)
{
    /// <summary>
    /// The statuses whose bytes count against a user's limit: the one definition of "storage in use",
    /// shared by the quota check, the storage alert and the storage report. Matches the predicate of
    /// idx_recordings_user_live_type_size (018), which makes every use of it index-only.
    /// </summary>
    public const string LiveStatusesSql = "status IN ('uploading', 'processing', 'completed')";

    /// <summary>Storage in use per user (user_id, recordings, used_bytes), for queries across users; index-only.</summary>
    public const string UsageByUserSql = $"""
        SELECT user_id, count(*)::int AS recordings, sum(file_size)::bigint AS used_bytes
        FROM recordings
        WHERE {LiveStatusesSql}
        GROUP BY user_id
        """;

    /// <summary>One user's storage in use by recording type (GET /api/me/storage); index-only on the same index.</summary>
    public const string UsageByTypeSql = $"""
        SELECT recording_type AS Type, count(*) AS Count, coalesce(sum(file_size), 0)::bigint AS Bytes
        FROM recordings
        WHERE user_id = @UserId AND {LiveStatusesSql}
        GROUP BY recording_type
        """;

    /// <summary>
    /// A user's limit in SQL, with <c>l</c> the user's user_storage_limits row (left-joined) and @DefaultStorageLimitBytes bound.
    /// </summary>
    public const string LimitBytesSql = "coalesce(l.limit_bytes, @DefaultStorageLimitBytes)";

    // Serializes quota checks of one user (two uploads at once must not both fit in the last gap);
    // the first key namespaces the lock among the app's advisory locks.
    // As an expression, so a transaction can take it in its first statement (UserTransaction's alsoSelect).
    public const string LockUserExpression = "pg_advisory_xact_lock(hashtext('recorder.quota'), hashtext(@userId))";

    private const string LockUserSql = "SELECT " + LockUserExpression;

    /// <summary>
    /// A user's storage in use (@UserId): the user's row of user_storage_usage, which migration 034's triggers keep equal to
    /// the sum of <see cref="LiveStatusesSql"/> recordings' file_size in the same transaction as every change (no row:
    /// nothing in use).
    /// </summary>
    public const string UsedBytesSql = "coalesce((SELECT used_bytes FROM user_storage_usage WHERE user_id = @UserId), 0)::bigint";

    /// <summary>A user's own limit (@UserId), NULL when the default applies.</summary>
    public const string OwnLimitBytesSql = "(SELECT limit_bytes FROM user_storage_limits WHERE user_id = @UserId)";

    /// <summary>A user's storage in use and own limit (NULL: the default applies).</summary>
    public const string UsageSql = $"SELECT {UsedBytesSql} AS UsedBytes, {OwnLimitBytesSql} AS LimitBytes";

    /// <summary>The limit when a user has none of their own (<see cref="RecordingsOptions.DefaultStorageLimitBytes"/>).</summary>
    public long DefaultStorageLimitBytes => options.Value.DefaultStorageLimitBytes;

    // The recording's own bytes as the usage counts them (its declared size while in flight), 0 once it is not live.
    private const string OwnBytesSql = $"SELECT coalesce((SELECT file_size FROM recordings WHERE id = @RecordingId " +
        $"AND {LiveStatusesSql}), 0)::bigint";

    public async Task<(long UsedBytes, long LimitBytes)> UsageAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string userId, CancellationToken cancellationToken)
    {
        var usage = await connection.QuerySingleAsync<(long UsedBytes, long? LimitBytes)>(
            new CommandDefinition(UsageSql, new { UserId = userId }, transaction, cancellationToken: cancellationToken));
        return (usage.UsedBytes, usage.LimitBytes ?? options.Value.DefaultStorageLimitBytes);
    }

    /// <summary>
    /// What a recording being ingested must fit beside: the bytes of the user's other live recordings (the real
    /// size of completed ones, the declared size of those in flight) and the user's limit.
    /// </summary>
    public async Task<(long OthersBytes, long LimitBytes)> UsageBesideAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string userId, long recordingId, CancellationToken cancellationToken)
    {
        var (used, limit) = await UsageAsync(connection, transaction, userId, cancellationToken);
        var own = await connection.ExecuteScalarAsync<long>(
            new CommandDefinition(OwnBytesSql, new { RecordingId = recordingId }, transaction, cancellationToken: cancellationToken));
        return (used - own, limit);
    }

    /// <summary>Holds the user's quota lock until the transaction ends: every check that must not race another takes it.</summary>
    public static Task LockAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string userId, CancellationToken cancellationToken)
        => connection.ExecuteAsync(
            new CommandDefinition(LockUserSql, new { userId }, transaction, cancellationToken: cancellationToken));

    /// <summary>The 413 for <paramref name="requestedBytes"/> that do not fit beside <paramref name="usedBytes"/>, with the numbers.</summary>
    public static Failure DoesNotFit(long requestedBytes, long usedBytes, long limitBytes)
        => new(
            FailureKind.PayloadTooLarge,
            $"This recording ({requestedBytes} bytes) does not fit in your storage: {usedBytes} of {limitBytes} bytes are in use.",
            Extensions: new Dictionary<string, object?> { ["usedBytes"] = usedBytes, ["limitBytes"] = limitBytes,
                ["requestedBytes"] = requestedBytes });
}
