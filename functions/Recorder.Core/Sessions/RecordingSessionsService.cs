using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Api;
using Recorder.Core.Audit;
using Recorder.Core.Data;
using Recorder.Core.LiveUploads;
using Recorder.Core.Security;

namespace Recorder.Core.Sessions;

/// <summary>
/// The caller's recording sessions: start, keep alive, complete or interrupt, read, list, statistics.
/// Every call runs in one transaction bound to the caller (row-level security), so another user's
/// session is "not found"; state changes lock the row and follow <see cref="SessionTransitions"/>.
/// Timestamps are the database's clock (<c>now()</c>), the same clock the stale-session sweep compares.
/// </summary>
public sealed class RecordingSessionsService(
    RecorderDataSources dataSources,
    LiveUploadService liveUploads,
    IOptions<SessionOptions> options,
    ILogger<RecordingSessionsService> logger)
{
    private const string InsertSql = $"""
        INSERT INTO recording_sessions (user_id, recording_type, settings, device_info)
        VALUES (@UserId, @RecordingType, @Settings::jsonb,
                jsonb_build_object('client', @ClientDeviceInfo::jsonb, 'server', @ServerDeviceInfo::jsonb))
        RETURNING {SessionRow.Columns}
        """;

    // By id alone: every partition's primary-key index is probed; row-level security adds the user.
    private const string GetSql = $"SELECT {SessionRow.Columns} FROM recording_sessions WHERE id = @Id";

    private const string LockSql = $"SELECT {SessionRow.Columns} FROM recording_sessions WHERE id = @Id FOR UPDATE";

    // started_at (the partition key) lets the updates go straight to the row's partition.
    private const string HeartbeatSql = $"""
        UPDATE recording_sessions SET last_heartbeat_at = greatest(last_heartbeat_at, now())
        WHERE id = @Id AND started_at = @StartedAt
        RETURNING {SessionRow.Columns}
        """;

    private const string CompleteSql = $"""
        UPDATE recording_sessions
        SET status = 'completed', ended_at = greatest(now(), started_at), duration = @Duration,
            recording_id = coalesce(@RecordingId, recording_id)
        WHERE id = @Id AND started_at = @StartedAt
        RETURNING {SessionRow.Columns}
        """;

    private const string InterruptSql = $"""
        UPDATE recording_sessions
        SET status = 'interrupted', ended_at = greatest(now(), started_at), error_message = @ErrorMessage, error_code = @ErrorCode
        WHERE id = @Id AND started_at = @StartedAt
        RETURNING {SessionRow.Columns}
        """;

    // The lock serialises two sessions completing with the same recording: the second sees the first's link.
    private const string LockRecordingSql = "SELECT id FROM recordings WHERE id = @RecordingId AND status <> 'deleting' FOR NO KEY UPDATE";

    private const string OtherSessionOfRecordingSql = "SELECT id FROM recording_sessions " +
        "WHERE recording_id = @RecordingId AND id <> @Id LIMIT 1";

    private const string ListSql = $"""
        SELECT {SessionRow.Columns}
        FROM recording_sessions
        WHERE user_id = @UserId
          AND (@Status::varchar IS NULL OR status = @Status)
          AND (@Type::varchar IS NULL OR recording_type = @Type)
          AND (@From::timestamptz IS NULL OR started_at >= @From)
          AND (@To::timestamptz IS NULL OR started_at < @To)
          AND (@AfterStartedAt::timestamptz IS NULL OR (started_at, id) < (@AfterStartedAt, @AfterId))
        ORDER BY started_at DESC, id DESC
        LIMIT @Take
        """;

    // One pass, three groupings: GROUPING() is 1 for the per-type rows, 2 for the per-browser rows, 3 for the total.
    private const string StatsSql = """
        SELECT GROUPING(recording_type, browser) AS Grouping, recording_type AS RecordingType, browser AS Browser,
               count(*) FILTER (WHERE status = 'active') AS Active,
               count(*) FILTER (WHERE status = 'completed') AS Completed,
               count(*) FILTER (WHERE status = 'interrupted') AS Interrupted
        FROM (
          SELECT recording_type, status, coalesce(device_info #>> '{server,browser}', @UnknownBrowser) AS browser
          FROM recording_sessions
          WHERE user_id = @UserId AND started_at >= @From AND started_at < @To
        ) AS sessions
        GROUP BY GROUPING SETS ((recording_type), (browser), ())
        """;

    public async Task<ServiceResult<SessionView>> CreateAsync(
        Caller caller, CreateSessionRequest body, RequestInfo request, CancellationToken cancellationToken)
    {
        var validated = SessionValidation.Validate(body, options.Value);
        if (validated.Failure is { } invalid)
        {
            return invalid;
        }
        var session = validated.Value!;
        var agent = UserAgentParser.Parse(request.UserAgent);
        var server = JsonSerializer.Serialize(new { agent.Browser, agent.BrowserVersion, agent.Os, agent.DeviceType, request.UserAgent },
            JsonRequest.SerializerOptions);

        var row = await dataSources.App.RunAsUserAsync(caller.UserId, async (connection, transaction) =>
        {
            var inserted = await connection.QuerySingleAsync<SessionRow>(new CommandDefinition(InsertSql, new
            {
                caller.UserId,
                session.RecordingType,
                session.Settings,
                ClientDeviceInfo = session.ClientDeviceInfo,
                ServerDeviceInfo = server,
            }, transaction, cancellationToken: cancellationToken));
            await AuditLog.WriteAsync(connection, transaction,
                new AuditEntry(caller.UserId, AuditActions.SessionCreate, AuditOutcomes.Success,
                    Details: new { sessionId = inserted.Id, inserted.RecordingType }), request, cancellationToken);
            return inserted;
        }, cancellationToken);
        logger.LogInformation("Recording session {SessionId} ({RecordingType}) started for user {UserId}", row.Id, row.RecordingType,
            caller.UserId);
        return SessionView.From(row);
    }

    /// <summary>
    /// Keeps an active session alive, and its live upload if it has one (contact, and what it has staged within its
    /// limits, else 413 and nothing written). Not audited when it succeeds: it arrives every few seconds per recording.
    /// </summary>
    public async Task<ServiceResult<bool>> HeartbeatAsync(
        Caller caller, long id, HeartbeatSessionRequest? body, RequestInfo request, CancellationToken cancellationToken)
    {
        var validated = SessionValidation.Validate(body, options.Value);
        if (validated.Failure is { } invalid)
        {
            return invalid;
        }
        var result = await TransitionAsync(caller, id, SessionCommand.Heartbeat, AuditActions.SessionHeartbeat, request,
            auditSuccess: false,
            isRepeat: _ => false,
            apply: async (connection, transaction, current) =>
                current.RecordingId is { } recordingId && await liveUploads.ContactAsync(connection, transaction, caller.UserId,
                    recordingId, BlockListReads.Heartbeat, validated.Value, cancellationToken) is { } refusal
                    ? refusal
                    : await UpdateAsync(connection, transaction, HeartbeatSql, new { current.Id, current.StartedAt }, cancellationToken),
            cancellationToken);
        return result.Failure is { } failure ? failure : true;
    }

    public async Task<ServiceResult<SessionView>> CompleteAsync(
        Caller caller, long id, CompleteSessionRequest body, RequestInfo request, CancellationToken cancellationToken)
    {
        var validated = SessionValidation.Validate(body, options.Value);
        if (validated.Failure is { } invalid)
        {
            return invalid;
        }
        var completion = validated.Value!;
        var result = await TransitionAsync(caller, id, SessionCommand.Complete, AuditActions.SessionComplete, request, auditSuccess: true,
            // A retry: same duration, and the same recording (or none named, the link the first call or the upload made standing).
            isRepeat: current => current.Duration == completion.Duration
                && (completion.RecordingId is null || completion.RecordingId == current.RecordingId),
            apply: async (connection, transaction, current) =>
            {
                if (completion.RecordingId is { } recordingId)
                {
                    if (current.RecordingId is { } linked && linked != recordingId)
                    {
                        return Conflict(current, $"Recording session {id} is already linked to recording {linked}.");
                    }
                    if (await connection.ExecuteScalarAsync<long?>(
                        new CommandDefinition(LockRecordingSql, new { RecordingId = recordingId }, transaction,
                            cancellationToken: cancellationToken)) is null)
                    {
                        return Failure.Invalid("recordingId", "is not one of your recordings.");
                    }
                    if (await connection.ExecuteScalarAsync<long?>(
                        new CommandDefinition(OtherSessionOfRecordingSql, new { RecordingId = recordingId, Id = id }, transaction,
                            cancellationToken: cancellationToken)) is { } other)
                    {
                        return Conflict(current, $"Recording {recordingId} already belongs to recording session {other}.");
                    }
                }
                return await UpdateAsync(connection, transaction, CompleteSql,
                    new { current.Id, current.StartedAt, completion.Duration, completion.RecordingId }, cancellationToken);
            },
            cancellationToken);
        return View(result);
    }

    public async Task<ServiceResult<SessionView>> InterruptAsync(
        Caller caller, long id, InterruptSessionRequest body, RequestInfo request, CancellationToken cancellationToken)
    {
        var validated = SessionValidation.Validate(body);
        if (validated.Failure is { } invalid)
        {
            return invalid;
        }
        var interruption = validated.Value!;
        var result = await TransitionAsync(caller, id, SessionCommand.Interrupt, AuditActions.SessionInterrupt, request, auditSuccess: true,
            isRepeat: current => current.ErrorMessage == interruption.ErrorMessage && current.ErrorCode == interruption.ErrorCode,
            apply: (connection, transaction, current) => UpdateAsync(connection, transaction, InterruptSql,
                new { current.Id, current.StartedAt, interruption.ErrorMessage, interruption.ErrorCode }, cancellationToken),
            cancellationToken);
        return View(result);
    }

    public async Task<ServiceResult<SessionView>> GetAsync(Caller caller, long id, RequestInfo request, CancellationToken cancellationToken)
    {
        var row = await dataSources.App.RunAsUserAsync(caller.UserId, async (connection, transaction) =>
        {
            var found = await connection.QuerySingleOrDefaultAsync<SessionRow>(
                new CommandDefinition(GetSql, new { Id = id }, transaction, cancellationToken: cancellationToken));
            await AuditLog.WriteAsync(connection, transaction,
                new AuditEntry(caller.UserId, AuditActions.SessionRead, found is null ? AuditOutcomes.NotFound : AuditOutcomes.Success,
                    found?.RecordingId, new { sessionId = id }), request, cancellationToken);
            return found;
        }, cancellationToken);
        return row is null ? NotFound(id) : SessionView.From(row);
    }

    public async Task<SessionPage> ListAsync(
        Caller caller, SessionListQuery query, RequestInfo request, CancellationToken cancellationToken)
    {
        var rows = await dataSources.App.RunAsUserAsync(caller.UserId, async (connection, transaction) =>
        {
            var found = (await connection.QueryAsync<SessionRow>(new CommandDefinition(ListSql, new
            {
                caller.UserId,
                query.Status,
                query.Type,
                query.From,
                query.To,
                AfterStartedAt = query.After?.StartedAt,
                AfterId = query.After?.Id,
                Take = query.Limit + 1,
            }, transaction, cancellationToken: cancellationToken))).AsList();
            await AuditLog.WriteAsync(connection, transaction,
                new AuditEntry(caller.UserId, AuditActions.SessionList, AuditOutcomes.Success,
                    Details: new { count = Math.Min(found.Count, query.Limit) }), request, cancellationToken);
            return found;
        }, cancellationToken);

        var page = rows.Take(query.Limit).ToList();
        var next = rows.Count > query.Limit ? new SessionCursor(page[^1].StartedAt, page[^1].Id).Encode() : null;
        return new SessionPage(page.Select(SessionView.From).ToList(), next);
    }

    public async Task<SessionStats> GetStatsAsync(
        Caller caller, SessionStatsQuery query, RequestInfo request, CancellationToken cancellationToken)
    {
        var groups = await dataSources.App.RunAsUserAsync(caller.UserId, async (connection, transaction) =>
        {
            var found = (await connection.QueryAsync<(int Grouping, string? RecordingType, string? Browser, long Active, long Completed,
                long Interrupted)>(new CommandDefinition(
                StatsSql, new { caller.UserId, query.From, query.To, UnknownBrowser = SessionStats.UnknownBrowser }, transaction,
                cancellationToken: cancellationToken))).AsList();
            await AuditLog.WriteAsync(connection, transaction,
                new AuditEntry(caller.UserId, AuditActions.SessionStats, AuditOutcomes.Success, Details: new { query.From, query.To }),
                request, cancellationToken);
            return found;
        }, cancellationToken);

        // The grand-total row exists even over no rows at all (GROUPING SETS with ()).
        var total = groups.Single(group => group.Grouping == 3);
        return new SessionStats(
            query.From,
            query.To,
            SessionCounts.Of(total.Active, total.Completed, total.Interrupted),
            groups.Where(group => group.Grouping == 1)
                .ToDictionary(group => group.RecordingType!, group => SessionCounts.Of(group.Active, group.Completed, group.Interrupted)),
            groups.Where(group => group.Grouping == 2)
                .ToDictionary(group => group.Browser!, group => SessionCounts.Of(group.Active, group.Completed, group.Interrupted)));
    }

    /// <summary>
    /// Locks the session, decides with <see cref="SessionTransitions"/>, and applies, accepts a repeat or
    /// refuses. One audit entry per call (successful heartbeats excepted), in the same transaction.
    /// </summary>
    private Task<ServiceResult<SessionRow>> TransitionAsync(
        Caller caller,
        long id,
        SessionCommand command,
        string action,
        RequestInfo request,
        bool auditSuccess,
        Func<SessionRow, bool> isRepeat,
        Func<NpgsqlConnection, NpgsqlTransaction, SessionRow, Task<ServiceResult<SessionRow>>> apply,
        CancellationToken cancellationToken)
        => dataSources.App.RunAsUserAsync<ServiceResult<SessionRow>>(caller.UserId, async (connection, transaction) =>
        {
            var current = await connection.QuerySingleOrDefaultAsync<SessionRow>(
                new CommandDefinition(LockSql, new { Id = id }, transaction, cancellationToken: cancellationToken));
            if (current is null)
            {
                await AuditLog.WriteAsync(connection, transaction,
                    new AuditEntry(caller.UserId, action, AuditOutcomes.NotFound, Details: new { sessionId = id }), request,
                    cancellationToken);
                return NotFound(id);
            }

            var transition = SessionTransitions.Decide(current.Status, command);
            var result = transition.Kind switch
            {
                TransitionKind.Apply => await apply(connection, transaction, current),
                TransitionKind.Repeat when isRepeat(current) => current,
                TransitionKind.Repeat => Conflict(current,
                    $"Recording session {id} is already {current.Status}, with other values than this request's."),
                _ => Conflict(current, $"Recording session {id} is {current.Status}: only an active session can be {PastTense(command)}."),
            };

            if (result.Failure is { } failure)
            {
                await AuditLog.WriteAsync(connection, transaction, new AuditEntry(
                    caller.UserId, action, AuditOutcomes.Rejected, current.RecordingId,
                    new { sessionId = id, status = current.Status, reason = failure.Detail }), request, cancellationToken);
            }
            else if (auditSuccess)
            {
                await AuditLog.WriteAsync(connection, transaction, new AuditEntry(
                    caller.UserId, action, AuditOutcomes.Success, result.Value!.RecordingId,
                    new { sessionId = id, from = current.Status, to = result.Value.Status,
                        repeated = transition.Kind == TransitionKind.Repeat }), request, cancellationToken);
            }
            return result;
        }, cancellationToken);

    private static async Task<ServiceResult<SessionRow>> UpdateAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, object parameters, CancellationToken cancellationToken)
        => await connection.QuerySingleAsync<SessionRow>(
            new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken));

    private static ServiceResult<SessionView> View(ServiceResult<SessionRow> result)
        => result.Failure is { } failure ? failure : SessionView.From(result.Value!);

    private static string PastTense(SessionCommand command) => command switch
    {
        SessionCommand.Heartbeat => "kept alive",
        SessionCommand.Complete => "completed",
        _ => "interrupted",
    };

    /// <summary>A 409 that tells the client where the session stands (<c>sessionStatus</c>, and why it ended).</summary>
    private static Failure Conflict(SessionRow session, string detail)
    {
        var extensions = new Dictionary<string, object?> { ["sessionStatus"] = session.Status };
        if (session.ErrorCode is { } errorCode)
        {
            extensions["errorCode"] = errorCode;
        }
        if (session.RecordingId is { } recordingId)
        {
            extensions["recordingId"] = recordingId;
        }
        return new Failure(FailureKind.Conflict, detail, Extensions: extensions);
    }

    private static Failure NotFound(long id) => Failure.NotFound($"Recording session {id} does not exist.");
}
