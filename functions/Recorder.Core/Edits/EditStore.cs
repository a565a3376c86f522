using System.Data;
using Dapper;

namespace Recorder.Core.Edits;

/// <summary>
/// Reads a recording's live history (applied and undone edits, in order) inside the caller's
/// transaction, where row-level security keeps it to the caller's rows.
/// </summary>
public static class EditStore
{
    private const string VersionSql = "SELECT edit_version FROM recordings WHERE id = @RecordingId";

    private const string LiveEditsSql = $"""
        SELECT {EditRow.Columns}
        FROM recording_edits
        WHERE recording_id = @RecordingId AND state <> 'discarded'
        ORDER BY sequence
        """;

    private const string LiveEditsOfSql = $"""
        SELECT recording_id AS RecordingId, {EditRow.Columns}
        FROM recording_edits
        WHERE recording_id = ANY(@RecordingIds) AND state <> 'discarded'
        ORDER BY recording_id, sequence
        """;

    /// <summary>The effective edit state of a recording the caller has just read (<c>GET /api/recordings/{id}</c>).</summary>
    public static async Task<EditState> ReadStateAsync(
        IDbConnection connection, IDbTransaction transaction, long recordingId, CancellationToken cancellationToken)
    {
        var version = await connection.ExecuteScalarAsync<long>(
            new CommandDefinition(VersionSql, new { RecordingId = recordingId }, transaction, cancellationToken: cancellationToken));
        var live = await ReadLiveAsync(connection, transaction, recordingId, cancellationToken);
        return EditState.Compute(version, live.Select(edit => edit.ToHistoryEdit()));
    }

    /// <summary>
    /// The effective trim of each of these recordings that has one, from their histories in one read (a page of the
    /// list moves the slide timelines it shows by them).
    /// </summary>
    public static async Task<Dictionary<long, TrimWindow>> ReadTrimsAsync(
        IDbConnection connection, IDbTransaction transaction, IReadOnlyCollection<long> recordingIds, CancellationToken cancellationToken)
    {
        var live = await connection.QueryAsync<long, EditRow, (long RecordingId, EditRow Edit)>(
            new CommandDefinition(LiveEditsOfSql, new { RecordingIds = recordingIds.ToArray() }, transaction,
                cancellationToken: cancellationToken),
            (recordingId, edit) => (recordingId, edit), splitOn: "Id");
        var trims = new Dictionary<long, TrimWindow>();
        foreach (var history in live.GroupBy(row => row.RecordingId))
        {
            // Only the trim is wanted, which the version does not change.
            if (EditState.Compute(0, history.Select(row => row.Edit.ToHistoryEdit())).Trim is { } trim)
            {
                trims[history.Key] = trim;
            }
        }
        return trims;
    }

    public static async Task<List<EditRow>> ReadLiveAsync(
        IDbConnection connection, IDbTransaction transaction, long recordingId, CancellationToken cancellationToken)
        => (await connection.QueryAsync<EditRow>(
            new CommandDefinition(LiveEditsSql, new { RecordingId = recordingId }, transaction,
                cancellationToken: cancellationToken))).AsList();
}
