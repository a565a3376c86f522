using System.Data;
using System.Globalization;
using Azure.Storage.Blobs;
using Dapper;
using Npgsql;
using Recorder.Core.Storage;

namespace Recorder.Testing;

/// <summary>What <see cref="RecordingInvariants.CheckAsync"/> found; every list empty when the invariants hold.</summary>
/// <param name="NotTerminal">Recordings neither 'completed' nor 'failed' ("id status").</param>
/// <param name="IngestAudits">Completed recordings without exactly one <c>recording.ingest</c> audit entry (success), and
/// other recordings with a success or more than one failure (one that never reached ingest, an abandoned upload, has none).</param>
/// <param name="Thumbnails">Completed recordings without exactly one thumbnail blob under their folder.</param>
/// <param name="BlobsWithoutRow">Blobs ("container/name") that no recording names and the derived-blob ledger does not hold.</param>
/// <param name="RowsWithoutBlob">Blobs a completed recording serves that storage does not have.</param>
public sealed record RecordingInvariantReport(
    int Completed,
    int Failed,
    IReadOnlyList<string> NotTerminal,
    IReadOnlyList<string> IngestAudits,
    IReadOnlyList<string> Thumbnails,
    IReadOnlyList<string> BlobsWithoutRow,
    IReadOnlyList<string> RowsWithoutBlob,
    int OutboxEntries)
{
    public bool Holds => NotTerminal.Count + IngestAudits.Count + Thumbnails.Count + BlobsWithoutRow.Count + RowsWithoutBlob.Count + OutboxEntries == 0;

    public override string ToString() => string.Join(Environment.NewLine,
        string.Create(CultureInfo.InvariantCulture, $"{Completed} completed, {Failed} failed, {OutboxEntries} ingest messages unsent"),
        Line("not terminal", NotTerminal),
        Line("with ingest audit entries other than their outcome's one", IngestAudits),
        Line("completed without exactly one thumbnail", Thumbnails),
        Line("blobs without a row", BlobsWithoutRow),
        Line("rows without their blob", RowsWithoutBlob));

    private static string Line(string what, IReadOnlyList<string> items)
        => string.Create(CultureInfo.InvariantCulture, $"{items.Count} {what}{(items.Count == 0 ? "" : ": " + string.Join(", ", items.Take(20)))}");
}

/// <summary>
/// What must hold of every recording and blob once ingest has settled, whatever happened on the way (an outage, a
/// killed host, a long soak): each recording is terminal with one ingest audit entry, each completed one has one
/// thumbnail and the blobs it serves, every blob of the uploads, processed and thumbnails containers is named by a
/// row or held by the derived-blob ledger, and no ingest message waits in the outbox.
/// </summary>
public static class RecordingInvariants
{
    private const string RowsSql = """
        SELECT id AS Id, status AS Status, blob_name AS BlobName, media_blob_name AS MediaBlobName, thumbnail_blob_name AS ThumbnailBlobName
        FROM recordings
        """;

    private const string IngestAuditsSql = """
        SELECT recording_id AS RecordingId, outcome AS Outcome, count(*)::int AS Entries
        FROM audit_log WHERE action = 'recording.ingest' AND recording_id IS NOT NULL
        GROUP BY recording_id, outcome
        """;

    private const string LedgerSql = "SELECT container AS Container, blob_name AS BlobName FROM derived_blobs";

    /// <summary>
    /// Storage is listed before and after one database snapshot, so ingest still writing cannot pass for a fault: a
    /// blob in both listings existed at the snapshot (a derived blob is in the ledger before it is written), and a
    /// blob a row names at the snapshot was written before it (so the second listing has it unless it was deleted since).
    /// </summary>
    /// <param name="maintenanceConnectionString">As recorder_maintenance: the one role that sees every user's rows.</param>
    public static async Task<RecordingInvariantReport> CheckAsync(
        string maintenanceConnectionString, BlobServiceClient blobs, StorageOptions containers)
    {
        var before = await ListAsync(blobs, containers);

        await using var connection = new NpgsqlConnection(maintenanceConnectionString);
        await connection.OpenAsync();
        await using var snapshot = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead);
        var rows = (await connection.QueryAsync<Row>(RowsSql, transaction: snapshot)).AsList();
        var audits = (await connection.QueryAsync<(long RecordingId, string Outcome, int Entries)>(IngestAuditsSql, transaction: snapshot)).ToLookup(audit => audit.RecordingId);
        var ledger = (await connection.QueryAsync<(string Container, string BlobName)>(LedgerSql, transaction: snapshot))
            .Select(entry => (entry.Container == "processed" ? containers.ProcessedContainer : containers.ThumbnailsContainer) + "/" + entry.BlobName)
            .ToHashSet(StringComparer.Ordinal);
        var outbox = await connection.ExecuteScalarAsync<int>("SELECT count(*)::int FROM ingest_outbox", transaction: snapshot);
        await snapshot.CommitAsync();

        var after = await ListAsync(blobs, containers);

        var named = rows.SelectMany(row => new[]
        {
            containers.UploadsContainer + "/" + row.BlobName,
            row.MediaBlobName is { } media ? containers.ProcessedContainer + "/" + media : null,
            row.ThumbnailBlobName is { } thumbnail ? containers.ThumbnailsContainer + "/" + thumbnail : null,
        }).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var completed = rows.Where(row => row.Status == "completed").ToList();
        var thumbnailsPrefix = containers.ThumbnailsContainer + "/";

        return new RecordingInvariantReport(
            completed.Count,
            rows.Count(row => row.Status == "failed"),
            [.. rows.Where(row => row.Status is not ("completed" or "failed")).Select(row => $"{row.Id} {row.Status}")],
            [.. rows.Select(row => (row.Id, row.Status, Entries: audits[row.Id].ToList()))
                .Where(row => row.Status == "completed" ? row.Entries is not [{ Outcome: "success", Entries: 1 }] : row.Entries is not ([] or [{ Outcome: "failed", Entries: 1 }]))
                .Select(row => $"{row.Id} {row.Status} ({string.Join(", ", row.Entries.Select(entry => $"{entry.Entries} {entry.Outcome}"))})")],
            [.. completed.Select(row => (row.Id, Count: after.Count(blob => blob.StartsWith(thumbnailsPrefix + Folder(row.BlobName), StringComparison.Ordinal))))
                .Where(row => row.Count != 1)
                .Select(row => $"{row.Id} ({row.Count})")],
            [.. before.Intersect(after).Where(blob => !named.Contains(blob) && !ledger.Contains(blob)).Order(StringComparer.Ordinal)],
            [.. completed.SelectMany(row => new[]
                {
                    row.MediaBlobName is { } media ? containers.ProcessedContainer + "/" + media : $"{row.Id} serves no media",
                    row.ThumbnailBlobName is { } thumbnail ? thumbnailsPrefix + thumbnail : $"{row.Id} has no thumbnail",
                })
                .Where(blob => !after.Contains(blob))],
            outbox);
    }

    /// <summary>The folder every blob of a recording lives under: <c>{user}/{recordingId}/</c> of its upload's name.</summary>
    private static string Folder(string uploadBlobName)
    {
        var userEnd = uploadBlobName.IndexOf('/', StringComparison.Ordinal);
        return uploadBlobName[..(uploadBlobName.IndexOf('/', userEnd + 1) + 1)];
    }

    private static async Task<HashSet<string>> ListAsync(BlobServiceClient blobs, StorageOptions containers)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var container in new[] { containers.UploadsContainer, containers.ProcessedContainer, containers.ThumbnailsContainer })
        {
            await foreach (var blob in blobs.GetBlobContainerClient(container).GetBlobsAsync())
            {
                names.Add(container + "/" + blob.Name);
            }
        }
        return names;
    }

    private sealed record Row(long Id, string Status, string BlobName, string? MediaBlobName, string? ThumbnailBlobName);
}
