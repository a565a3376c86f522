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

    /// <summary>The effective edit state of a recording the caller has just read (<c>GET /api/recordings/{id}</c>).</summary>
    public static async Task<EditState> ReadStateAsync(
        IDbConnection connection, IDbTransaction transaction, long recordingId, CancellationToken cancellationToken)
    {
        var version = await connection.ExecuteScalarAsync<long>(
            new CommandDefinition(VersionSql, new { RecordingId = recordingId }, transaction, cancellationToken: cancellationToken));
        var live = await ReadLiveAsync(connection, transaction, recordingId, cancellationToken);
        return EditState.Compute(version, live.Select(edit => edit.ToHistoryEdit()));
    }

    public static async Task<List<EditRow>> ReadLiveAsync(
        IDbConnection connection, IDbTransaction transaction, long recordingId, CancellationToken cancellationToken)
        => (await connection.QueryAsync<EditRow>(
            new CommandDefinition(LiveEditsSql, new { RecordingId = recordingId }, transaction,
                cancellationToken: cancellationToken))).AsList();
}
