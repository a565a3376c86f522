using System.Text.Json;
using Dapper;
using Npgsql;
using Recorder.Core.Api;
using Recorder.Core.Audit;
using Recorder.Core.Data;
using Recorder.Core.Recordings;
using Recorder.Core.Security;

namespace Recorder.Core.Edits;

/// <summary>
/// A recording's edit history: list it, add an edit, undo, redo. Every change locks the recording's
/// row (so changes of one recording happen one at a time), refuses a stale base version, changes the
/// history and adds one to the recording's edit version — all in one transaction bound to the caller
/// (row-level security) together with its audit entry. A recording that is not the caller's is "not found".
/// </summary>
public sealed class EditsService(RecorderDataSources dataSources)
{
    // NO KEY UPDATE: serialises edit changes of the recording without blocking rows that merely
    // reference it (foreign keys take KEY SHARE).
    private const string LockSql = """
        SELECT id AS RecordingId, status AS Status, recording_type AS RecordingType, duration AS Duration, edit_version AS EditVersion,
               (metadata -> 'media')::text AS Media
        FROM recordings
        WHERE id = @RecordingId AND status <> 'deleting'
        FOR NO KEY UPDATE
        """;

    private const string VersionSql = "SELECT edit_version FROM recordings WHERE id = @RecordingId AND status <> 'deleting'";

    private const string PageSql = $"""
        SELECT {EditRow.Columns}
        FROM recording_edits
        WHERE recording_id = @RecordingId AND sequence > @AfterSequence
        ORDER BY sequence
        LIMIT @Take
        """;

    private const string DiscardRedoBranchSql = """
        UPDATE recording_edits SET state = 'discarded', discarded_at = now()
        WHERE recording_id = @RecordingId AND state = 'undone'
        RETURNING id
        """;

    private const string InsertSql = $"""
        INSERT INTO recording_edits (recording_id, user_id, sequence, edit_type, parameters, undo_data)
        SELECT @RecordingId, @UserId, coalesce(max(sequence), 0) + 1, @EditType, @Parameters::jsonb, @UndoData::jsonb
        FROM recording_edits
        WHERE recording_id = @RecordingId
        RETURNING {EditRow.Columns}
        """;

    private const string SetStateSql = $"UPDATE recording_edits SET state = @State WHERE id = @Id RETURNING {EditRow.Columns}";

    private const string NextVersionSql = "UPDATE recordings SET edit_version = edit_version + 1 " +
        "WHERE id = @RecordingId RETURNING edit_version";

    public async Task<ServiceResult<EditHistoryPage>> ListAsync(
        Caller caller, long recordingId, EditListQuery query, RequestInfo request, CancellationToken cancellationToken)
        => await dataSources.App.RunAsUserAsync<ServiceResult<EditHistoryPage>>(caller.UserId, async (connection, transaction) =>
        {
            var version = await connection.QuerySingleOrDefaultAsync<long?>(
                new CommandDefinition(VersionSql, new { RecordingId = recordingId }, transaction, cancellationToken: cancellationToken));
            var rows = version is null ? [] : (await connection.QueryAsync<EditRow>(new CommandDefinition(
                PageSql, new { RecordingId = recordingId, query.AfterSequence, Take = query.Limit + 1 }, transaction,
                cancellationToken: cancellationToken))).AsList();
            var page = rows.Take(query.Limit).ToList();
            await AuditLog.WriteAsync(connection, transaction, new AuditEntry(
                caller.UserId, AuditActions.RecordingEditHistory, version is null ? AuditOutcomes.NotFound : AuditOutcomes.Success,
                recordingId, new { count = page.Count }), request, cancellationToken);
            if (version is null)
            {
                return NotFound(recordingId);
            }
            return new EditHistoryPage(version.Value, page.Select(EditView.From).ToList(),
                rows.Count > query.Limit ? EditListQuery.EncodeCursor(page[^1].Sequence) : null);
        }, cancellationToken);

    /// <summary>Applies a new edit; the undone edits it finds (the redo branch) become discarded.</summary>
    public Task<ServiceResult<EditResult>> ApplyAsync(
        Caller caller, long recordingId, EditCommand command, RequestInfo request, CancellationToken cancellationToken)
        => ChangeAsync(caller, recordingId, command.BaseVersion, AuditActions.RecordingEdit, command.Parameters.EditType, request,
            async (connection, transaction, recording, live) =>
        {
            if (command.Parameters.Check(recording.Target()) is { } invalid)
            {
                return invalid;
            }
            var current = EditState.Compute(recording.EditVersion, live.Select(edit => edit.ToHistoryEdit()));
            if (command.Parameters is TextOverlayParameters && current.Overlays.Count >= EditState.MaxOverlays)
            {
                return EditFailures.Conflict(EditFailures.TooManyOverlays,
                    $"The recording already carries {EditState.MaxOverlays} text overlays, the most it may.", recording.EditVersion);
            }

            var discarded = (await connection.QueryAsync<long>(
                new CommandDefinition(DiscardRedoBranchSql, new { RecordingId = recordingId }, transaction,
                    cancellationToken: cancellationToken))).AsList();
            var edit = await connection.QuerySingleAsync<EditRow>(new CommandDefinition(InsertSql, new
            {
                RecordingId = recordingId,
                caller.UserId,
                command.Parameters.EditType,
                Parameters = command.Parameters.ToJson().ToJsonString(),
                UndoData = current.UndoData(command.Parameters).ToJsonString(),
            }, transaction, cancellationToken: cancellationToken));
            var version = await NextVersionAsync(connection, transaction, recordingId, cancellationToken);
            var state = current.Apply(edit.Id, command.Parameters) with { Version = version, CanUndo = true, CanRedo = false };
            return new EditResult(version, EditView.From(edit), discarded, state);
        }, cancellationToken);

    /// <summary>Takes back the last applied edit.</summary>
    public Task<ServiceResult<EditResult>> UndoAsync(
        Caller caller, long recordingId, long baseVersion, RequestInfo request, CancellationToken cancellationToken)
        => ChangeAsync(caller, recordingId, baseVersion, AuditActions.RecordingEditUndo, editType: null, request,
            (connection, transaction, recording, live) => MoveAsync(
                connection, transaction, recording, live, live.LastOrDefault(edit => edit.State == EditStates.Applied), EditStates.Undone,
                () => EditFailures.Conflict(EditFailures.NothingToUndo, "There is no applied edit to undo.", recording.EditVersion),
                cancellationToken),
            cancellationToken);

    /// <summary>Applies again the first edit that was undone (and not discarded since).</summary>
    public Task<ServiceResult<EditResult>> RedoAsync(
        Caller caller, long recordingId, long baseVersion, RequestInfo request, CancellationToken cancellationToken)
        => ChangeAsync(caller, recordingId, baseVersion, AuditActions.RecordingEditRedo, editType: null, request,
            (connection, transaction, recording, live) => MoveAsync(
                connection, transaction, recording, live, live.FirstOrDefault(edit => edit.State == EditStates.Undone), EditStates.Applied,
                () => EditFailures.Conflict(EditFailures.NothingToRedo, "There is no undone edit to redo.", recording.EditVersion),
                cancellationToken),
            cancellationToken);

    /// <summary>
    /// The frame of every change: lock the recording (404 when it is not the caller's), refuse it unless
    /// completed and at <paramref name="baseVersion"/> (409), run <paramref name="change"/> over its live
    /// history, audit the outcome. A change returns its failures before writing anything.
    /// </summary>
    private async Task<ServiceResult<EditResult>> ChangeAsync(
        Caller caller,
        long recordingId,
        long baseVersion,
        string action,
        string? editType,
        RequestInfo request,
        Func<NpgsqlConnection, NpgsqlTransaction, LockedRecording, List<EditRow>, Task<ServiceResult<EditResult>>> change,
        CancellationToken cancellationToken)
        => await dataSources.App.RunAsUserAsync(caller.UserId, async (connection, transaction) =>
        {
            var recording = await connection.QuerySingleOrDefaultAsync<LockedRecording>(
                new CommandDefinition(LockSql, new { RecordingId = recordingId }, transaction, cancellationToken: cancellationToken));
            ServiceResult<EditResult> result = recording switch
            {
                null => NotFound(recordingId),
                { Status: not "completed" } => EditFailures.Conflict(
                    EditFailures.NotCompleted, $"Recording {recordingId} is '{recording.Status}': only completed recordings take edits.",
                    recording.EditVersion),
                _ when recording.EditVersion != baseVersion => EditFailures.Conflict(
                    EditFailures.StaleVersion,
                    $"The recording's edits are at version {recording.EditVersion}, not {baseVersion}: reload " +
                    $"them and make the change again.", recording.EditVersion),
                _ => await change(connection, transaction, recording,
                    await EditStore.ReadLiveAsync(connection, transaction, recordingId, cancellationToken)),
            };
            await AuditLog.WriteAsync(connection, transaction,
                new AuditEntry(caller.UserId, action, OutcomeOf(result), recordingId, AuditDetails(result, editType, baseVersion)), request,
                cancellationToken);
            return result;
        }, cancellationToken);

    private static async Task<ServiceResult<EditResult>> MoveAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        LockedRecording recording,
        List<EditRow> live,
        EditRow? edit,
        string newState,
        Func<Failure> nothingToDo,
        CancellationToken cancellationToken)
    {
        if (edit is null)
        {
            return nothingToDo();
        }
        var changed = await connection.QuerySingleAsync<EditRow>(
            new CommandDefinition(SetStateSql, new { edit.Id, State = newState }, transaction, cancellationToken: cancellationToken));
        var version = await NextVersionAsync(connection, transaction, recording.RecordingId, cancellationToken);
        var history = live.Select(row => row.Id == changed.Id ? changed : row).Select(row => row.ToHistoryEdit());
        return new EditResult(version, EditView.From(changed), [], EditState.Compute(version, history));
    }

    private static Task<long> NextVersionAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, long recordingId, CancellationToken cancellationToken)
        => connection.ExecuteScalarAsync<long>(
            new CommandDefinition(NextVersionSql, new { RecordingId = recordingId }, transaction, cancellationToken: cancellationToken));

    private static string OutcomeOf(ServiceResult<EditResult> result) => result.Failure switch
    {
        null => AuditOutcomes.Success,
        { Kind: FailureKind.NotFound } => AuditOutcomes.NotFound,
        _ => AuditOutcomes.Rejected,
    };

    private static object AuditDetails(ServiceResult<EditResult> result, string? editType, long baseVersion)
        => result.Value is { } done
            ? (object)new { editId = done.Edit.Id, editType = done.Edit.EditType, state = done.Edit.State, version = done.Version,
                baseVersion, discarded = done.Discarded }
            : new { editType, baseVersion, reason = result.Failure is { } failure ? EditFailures.CodeOf(failure) ?? "invalid" : null };

    private static Failure NotFound(long id) => Failure.NotFound($"Recording {id} does not exist.");

    /// <summary>The recording row a change holds locked.</summary>
    private sealed class LockedRecording
    {
        public long RecordingId { get; init; }
        public string Status { get; init; } = "";
        public string RecordingType { get; init; } = "";
        public decimal? Duration { get; init; }
        public long EditVersion { get; init; }

        /// <summary><c>metadata.media</c> as ingest wrote it (width, height, hasVideo …), when it did.</summary>
        public string? Media { get; init; }

        public EditTarget Target()
        {
            using var media = JsonDocument.Parse(Media ?? "null");
            var root = media.RootElement;
            var saysNoVideo = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("hasVideo", out var hasVideo)
                && hasVideo.ValueKind == JsonValueKind.False;
            return new EditTarget(Duration, RecordingType != RecordingTypes.Audio && !saysNoVideo, Dimension(root, "width"),
                Dimension(root, "height"));
        }

        private static int? Dimension(JsonElement media, string name)
            => media.ValueKind == JsonValueKind.Object && media.TryGetProperty(name, out var value)
                && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var pixels) && pixels > 0
                ? pixels
                : null;
    }
}
