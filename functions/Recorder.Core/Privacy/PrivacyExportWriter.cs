using System.Data;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Audit;
using Recorder.Core.Data;
using Recorder.Core.Storage;

namespace Recorder.Core.Privacy;

/// <summary>Where a long privacy job has got to: items done of a total, and the item at hand.</summary>
public readonly record struct PrivacyProgress(int Done, int Total, string Item);

/// <summary>What an export holds: rows per table, files copied, and files whose blob was gone.</summary>
public sealed record ExportSummary(IReadOnlyDictionary<string, int> Rows, int Files, long FileBytes, int MissingFiles);

/// <summary>
/// Writes one user's recorder data as a zip to any stream, entry by entry, so neither the zip nor a media file is held
/// in memory; rows from one audited snapshot, every query naming the user (docs/privacy.md, "Exports").
/// </summary>
public sealed class PrivacyExportWriter(
    RecorderDataSources dataSources,
    BlobServiceClient blobs,
    IOptions<StorageOptions> storageOptions,
    TimeProvider time)
{
    public const string Format = "recorder-functions/privacy-export";

    private static readonly JsonSerializerOptions ManifestJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    // The app's tables: rows made from a recording carry metadata.recordingId (Links), and only the user's own count.
    private static readonly (string Table, string Sql)[] Tables =
    [
        ("recordings", "SELECT row_to_json(t)::text FROM (SELECT * FROM recordings WHERE user_id = @UserId ORDER BY id) t"),
        ("recording_sessions",
            "SELECT row_to_json(t)::text FROM (SELECT * FROM recording_sessions WHERE user_id = @UserId ORDER BY started_at, id) t"),
        ("recording_edits",
            "SELECT row_to_json(t)::text FROM (SELECT * FROM recording_edits WHERE user_id = @UserId ORDER BY recording_id, sequence) t"),
        ("content", "SELECT row_to_json(t)::text FROM (SELECT * FROM content WHERE user_id = @UserId " +
            "AND (metadata ->> 'recordingId') IS NOT NULL ORDER BY id) t"),
        ("social_posts",
            "SELECT row_to_json(t)::text FROM (SELECT * FROM social_posts " +
            "WHERE user_id = @UserId AND (metadata ->> 'recordingId') IS NOT NULL ORDER BY id) t"),
        ("ai_generation_tasks",
            "SELECT row_to_json(t)::text FROM (SELECT * FROM ai_generation_tasks WHERE user_id = @UserId " +
            "AND (metadata ->> 'recordingId') IS NOT NULL ORDER BY id) t"),
        ("audit_log", "SELECT row_to_json(t)::text FROM (SELECT * FROM audit_log WHERE user_id = @UserId ORDER BY id) t"),
    ];

    private const string FilesSql = """
        SELECT id AS RecordingId, blob_name AS BlobName, media_blob_name AS MediaBlobName, thumbnail_blob_name AS ThumbnailBlobName
        FROM recordings WHERE user_id = @UserId AND status = 'completed' ORDER BY id
        """;

    private const string AuditSql = """
        INSERT INTO audit_log (actor_type, actor_id, user_id, action, outcome, details)
        VALUES ('system', @ActorId, @UserId, @Action, 'success', @Details::jsonb)
        """;

    /// <param name="actorId">Who the audit entry names: the export worker or the CLI.</param>
    /// <param name="exportId">The export row this zip is for; null for an export made by the CLI.</param>
    public async Task<ExportSummary> WriteAsync(string userId, Stream output, string actorId, long? exportId,
        IProgress<PrivacyProgress>? progress, CancellationToken cancellationToken)
    {
        var storage = storageOptions.Value;
        var createdAt = time.GetUtcNow();
        await using var zip = await ZipArchive.CreateAsync(output, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null,
            cancellationToken);

        var rows = new Dictionary<string, int>(StringComparer.Ordinal);
        List<ExportFile> files;
        await using (var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken))
        {
            foreach (var (table, sql) in Tables)
            {
                progress?.Report(new PrivacyProgress(rows.Count, Tables.Length, table));
                rows[table] = await WriteRowsAsync(zip, $"data/{table}.json", connection, transaction, sql, userId, cancellationToken);
            }
            files = [.. (await connection.QueryAsync<FileRow>(
                new CommandDefinition(FilesSql, new { UserId = userId }, transaction, cancellationToken: cancellationToken)))
                .SelectMany(row => FilesOf(row, storage))];
            await connection.ExecuteAsync(new CommandDefinition(AuditSql, new
            {
                ActorId = actorId,
                UserId = userId,
                Action = AuditActions.PrivacyExport,
                Details = JsonSerializer.Serialize(new { exportId, rows, files = files.Count }, ManifestJson),
            }, transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
        }

        var written = new List<object>(files.Count);
        var missing = new List<string>();
        long bytes = 0;
        for (var i = 0; i < files.Count; i++)
        {
            var file = files[i];
            progress?.Report(new PrivacyProgress(i, files.Count, file.Path));
            var blob = blobs.GetBlobContainerClient(file.Container).GetBlobClient(file.BlobName);
            Stream source;
            try
            {
                source = await blob.OpenReadAsync(cancellationToken: cancellationToken);
            }
            catch (RequestFailedException exception) when (exception.Status == 404)
            {
                // Deleted since the snapshot (the user deleted it meanwhile): listed as missing, not fatal.
                missing.Add(file.Path);
                continue;
            }
            await using (source)
            {
                // Media and JPEG thumbnails are compressed already.
                var entry = zip.CreateEntry(file.Path, CompressionLevel.NoCompression);
                await using var target = await entry.OpenAsync(cancellationToken);
                await source.CopyToAsync(target, cancellationToken);
                bytes += source.Length;
                written.Add(new { path = file.Path, kind = file.Kind, recordingId = file.RecordingId, bytes = source.Length });
            }
        }
        progress?.Report(new PrivacyProgress(files.Count, files.Count, "manifest.json"));

        var manifest = zip.CreateEntry("manifest.json", CompressionLevel.Optimal);
        await using (var stream = await manifest.OpenAsync(cancellationToken))
        {
            await JsonSerializer.SerializeAsync(stream, new
            {
                format = Format,
                version = 1,
                exportId,
                userId,
                createdAt,
                data = rows.Select(pair => new { path = $"data/{pair.Key}.json", table = pair.Key, rows = pair.Value }),
                files = written,
                missingFiles = missing,
            }, ManifestJson, cancellationToken);
        }
        return new ExportSummary(rows, written.Count, bytes, missing.Count);
    }

    /// <summary>A JSON array of the rows, one per line, streamed from the reader into the entry.</summary>
    private static async Task<int> WriteRowsAsync(ZipArchive zip, string path, NpgsqlConnection connection, NpgsqlTransaction transaction,
        string sql, string userId, CancellationToken cancellationToken)
    {
        var entry = zip.CreateEntry(path, CompressionLevel.Optimal);
        await using var stream = await entry.OpenAsync(cancellationToken);
        await using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue("UserId", userId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var count = 0;
        await writer.WriteAsync("[");
        while (await reader.ReadAsync(cancellationToken))
        {
            await writer.WriteAsync(count++ == 0 ? "\n" : ",\n");
            await writer.WriteAsync(reader.GetString(0));
        }
        await writer.WriteAsync(count == 0 ? "]\n" : "\n]\n");
        return count;
    }

    private static IEnumerable<ExportFile> FilesOf(FileRow row, StorageOptions storage)
    {
        var (container, media) = row.MediaBlobName is { } copy ? (storage.ProcessedContainer, copy)
            : (storage.UploadsContainer, row.BlobName);
        yield return new ExportFile($"media/{row.RecordingId}/{FileName(media)}", "media", row.RecordingId, container, media);
        if (row.ThumbnailBlobName is { } thumbnail)
        {
            yield return new ExportFile($"thumbnails/{row.RecordingId}/{FileName(thumbnail)}", "thumbnail", row.RecordingId,
                storage.ThumbnailsContainer, thumbnail);
        }
    }

    private static string FileName(string blobName) => blobName[(blobName.LastIndexOf('/') + 1)..];

    private sealed record FileRow(long RecordingId, string BlobName, string? MediaBlobName, string? ThumbnailBlobName);

    private sealed record ExportFile(string Path, string Kind, long RecordingId, string Container, string BlobName);
}
