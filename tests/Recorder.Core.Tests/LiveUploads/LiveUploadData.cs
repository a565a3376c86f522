using System.Text.Json;
using Azure.Storage.Blobs.Specialized;
using Dapper;
using Npgsql;
using Recorder.Core.LiveUploads;
using Recorder.Core.Storage;
using Recorder.Testing;

namespace Recorder.Core.Tests.LiveUploads;

/// <summary>
/// Live recordings and their staged blocks, written and read as recorder_maintenance (its policies see every user's rows).
/// </summary>
internal sealed class LiveUploadData(MigratedDatabase database, StorageOptions storage)
{
    /// <summary>A live recording still uploading whose browser was last in contact <paramref name="silentFor"/> ago.</summary>
    public async Task<(long Id, string BlobName)> InsertAsync(
        string userId, TimeSpan silentFor, string mimeType = "video/webm;codecs=vp8,opus", TimeSpan? age = null)
    {
        await using var connection = await OpenAsync();
        var id = await connection.ExecuteScalarAsync<long>(
            """
            INSERT INTO recordings (user_id, title, recording_type, file_size, mime_type, blob_name, live, live_contact_at, created_at)
            VALUES (@userId, 'live', 'camera', 1, @mimeType, gen_random_uuid()::text, true, now() - @silentFor, now() - @age)
            RETURNING id
            """,
            new { userId, mimeType, silentFor, age = age ?? silentFor });
        var blobName = $"{userId}/{id}/live.{(mimeType.StartsWith("video/mp4", StringComparison.Ordinal) ? "mp4" : "webm")}";
        await connection.ExecuteAsync("UPDATE recordings SET blob_name = @blobName WHERE id = @id", new { id, blobName });
        return (id, blobName);
    }

    /// <summary>Stages <paramref name="blocks"/> (sequence number, bytes) in the order given, as a browser's Put Block would.</summary>
    public async Task StageAsync(string blobName, IEnumerable<(int Sequence, byte[] Bytes)> blocks)
    {
        foreach (var (sequence, bytes) in blocks)
        {
            await Blob(blobName).StageBlockAsync(LiveBlockId.Format(sequence), new MemoryStream(bytes));
        }
    }

    public BlockBlobClient Blob(string blobName, string? container = null)
        => TestStorage.CreateClient().GetBlobContainerClient(container ?? storage.UploadsContainer).GetBlockBlobClient(blobName);

    /// <summary><paramref name="content"/> cut into blocks of <paramref name="blockSize"/> bytes, numbered from 0.</summary>
    public static List<(int Sequence, byte[] Bytes)> Split(byte[] content, int blockSize)
        => content.Chunk(blockSize).Select((bytes, sequence) => (sequence, bytes)).ToList();

    public async Task<LiveRow> RowAsync(long id)
    {
        await using var connection = await OpenAsync();
        return await connection.QuerySingleAsync<LiveRow>(
            """
            SELECT status AS Status, failure_code AS FailureCode, file_size AS FileSize, duration AS Duration, live AS Live,
                   recovered_at IS NOT NULL AS Recovered, media_blob_name AS MediaBlobName, metadata::text AS Metadata
            FROM recordings WHERE id = @id
            """, new { id });
    }

    public async Task<List<(string ActorId, string Action)>> AuditAsync(long id)
    {
        await using var connection = await OpenAsync();
        return (await connection.QueryAsync<(string, string)>(
            "SELECT actor_id, action FROM audit_log WHERE recording_id = @id AND actor_type = 'system' ORDER BY id", new { id })).AsList();
    }

    public async Task<int> ExecuteAsync(string sql, object? parameters = null)
    {
        await using var connection = await OpenAsync();
        return await connection.ExecuteAsync(sql, parameters);
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(database.MaintenanceConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}

internal sealed record LiveRow(
    string Status, string? FailureCode, long FileSize, decimal? Duration, bool Live, bool Recovered, string? MediaBlobName, string Metadata)
{
    public JsonElement Recovery => JsonDocument.Parse(Metadata).RootElement.GetProperty("recovery").Clone();

    public JsonElement Media => JsonDocument.Parse(Metadata).RootElement.GetProperty("media").Clone();
}
