using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Dapper;
using Npgsql;
using Recorder.Core.Storage;
using Recorder.Core.Tests.Fixtures;
using Recorder.Testing;

namespace Recorder.Core.Tests.Privacy;

/// <summary>A database and containers of one test, with a user's recorder data in every table and container.</summary>
internal sealed class PrivacyTestData(MigratedDatabase database, StorageOptions storage)
{
    public BlobServiceClient Blobs { get; } = TestStorage.CreateClient();

    /// <summary>The owner: the main app's tables (users, projects, content, …); it sees no recorder rows.</summary>
    public Task<NpgsqlConnection> OpenOwnerAsync() => database.OpenOwnerAsync();

    /// <summary>recorder_maintenance: every user's recorder rows (DatabaseConnections).</summary>
    public Task<NpgsqlConnection> OpenMaintenanceAsync() => database.OpenMaintenanceAsync();

    public async Task<string> NewUserAsync()
    {
        var userId = "priv-" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = await OpenOwnerAsync();
        await connection.ExecuteAsync("INSERT INTO users (id, email, password, first_name, last_name) VALUES (@userId, @userId || '@example.test', 'x', 'Privacy', 'Test')", new { userId });
        return userId;
    }

    /// <summary>
    /// A completed recording with its upload (and a snapshot of it), seekable copy and thumbnail; a session, an edit,
    /// a content row made from it, audit entries (one naming its blob), an export, a quarantined upload and a
    /// dead-lettered Event Grid event of the user's.
    /// </summary>
    public async Task<long> SeedAsync(string userId)
    {
        await using var connection = await OpenMaintenanceAsync();
        var id = await connection.ExecuteScalarAsync<long>(
            """
            INSERT INTO recordings (user_id, title, recording_type, file_size, mime_type, blob_name, status, completed_at)
            VALUES (@userId, 'r', 'camera', 10, 'video/webm', gen_random_uuid()::text, 'completed', now()) RETURNING id
            """, new { userId });
        await connection.ExecuteAsync(
            """
            UPDATE recordings SET blob_name = @userId || '/' || id || '/upload.webm', media_blob_name = @userId || '/' || id || '/seekable.webm',
              thumbnail_blob_name = @userId || '/' || id || '/thumbnail.jpg' WHERE id = @id;
            INSERT INTO recording_sessions (user_id, recording_type, status, recording_id, ended_at) VALUES (@userId, 'camera', 'completed', @id, now());
            INSERT INTO recording_edits (recording_id, user_id, edit_type, parameters, sequence) VALUES (@id, @userId, 'trim', '{"start": 0}', 1);
            INSERT INTO audit_log (actor_type, actor_id, user_id, action, recording_id, outcome) VALUES ('user', @userId, @userId, 'recording.read', @id, 'success');
            INSERT INTO audit_log (actor_type, actor_id, user_id, action, outcome, details)
            VALUES ('system', 'ingest', NULL, 'blob.quarantine', 'success', jsonb_build_object('blobName', @userId || '/999/stray.webm'));
            INSERT INTO privacy_exports (user_id, status, blob_name, size_bytes, completed_at, expires_at)
            VALUES (@userId, 'ready', @userId || '/exports/' || @id || '.zip', 3, now(), now() + interval '1 day');
            """, new { userId, id });
        await using (var owner = await OpenOwnerAsync())
        {
            await owner.ExecuteAsync(
                """
                INSERT INTO content (user_id, title, platform, content_type, video_url, metadata)
                VALUES (@userId, 'c', 'youtube', 'video', 'recorder://recordings/' || @id || '/media',
                        jsonb_build_object('recordingId', @id))
                """, new { userId, id });
        }
        var upload = Blob(storage.UploadsContainer, $"{userId}/{id}/upload.webm");
        await upload.UploadAsync(BinaryData.FromString("upload"));
        await upload.CreateSnapshotAsync();
        await Blob(storage.ProcessedContainer, $"{userId}/{id}/seekable.webm").UploadAsync(BinaryData.FromString("copy"));
        await Blob(storage.ThumbnailsContainer, $"{userId}/{id}/thumbnail.jpg").UploadAsync(BinaryData.FromString("thumb"));
        await Blob(storage.ExportsContainer, $"{userId}/exports/{id}.zip").UploadAsync(BinaryData.FromString("zip"));
        await Blob(storage.DeadLetterContainer, $"quarantine/{userId}/999/stray.webm").UploadAsync(BinaryData.FromString("stray"));
        await DeadLetterAsync(DeadLetterName(DateTimeOffset.UtcNow), userId, id);
        return id;
    }

    /// <summary>Where Event Grid writes an event it dead-letters at <paramref name="at"/>: under the UTC hour, not zero-padded.</summary>
    public static string DeadLetterName(DateTimeOffset at)
        => FormattableString.Invariant($"RECORDINGS-UPLOADS-BLOB-CREATED/{at.UtcDateTime.Year}/{at.UtcDateTime.Month}/{at.UtcDateTime.Day}/{at.UtcDateTime.Hour}/{Guid.NewGuid()}.json");

    /// <summary>A dead-lettered BlobCreated event about the upload of the user's recording.</summary>
    public Task DeadLetterAsync(string name, string userId, long recordingId)
        => Blob(storage.DeadLetterContainer, name).UploadAsync(BinaryData.FromString(
            $$"""[{"subject":"/blobServices/default/containers/{{storage.UploadsContainer}}/blobs/{{userId}}/{{recordingId}}/upload.webm","eventType":"Microsoft.Storage.BlobCreated"}]"""));

    public BlobClient Blob(string container, string name) => Blobs.GetBlobContainerClient(container).GetBlobClient(name);

    /// <summary>Every blob (snapshots too) in every container that names the user.</summary>
    public async Task<List<string>> BlobsOfAsync(string userId)
    {
        var found = new List<string>();
        foreach (var container in storage.AllContainers)
        {
            await foreach (var item in Blobs.GetBlobContainerClient(container).GetBlobsAsync(new GetBlobsOptions { States = BlobStates.Snapshots }))
            {
                var named = item.Name.Contains(userId, StringComparison.Ordinal)
                    || (container == storage.DeadLetterContainer && (await Blob(container, item.Name).DownloadContentAsync()).Value.Content.ToString().Contains(userId, StringComparison.Ordinal));
                if (named)
                {
                    found.Add($"{container}/{item.Name}{(item.Snapshot is null ? "" : "@" + item.Snapshot)}");
                }
            }
        }
        return found;
    }

    /// <summary>Rows anywhere in the recorder's tables (and the app's audit trail) that name the user.</summary>
    /// <param name="maintenanceConnectionString">Another database's (a restored copy), as recorder_maintenance.</param>
    public async Task<int> RowsNamingAsync(string userId, string? maintenanceConnectionString = null)
    {
        // Row-level security binds the owner too: read as recorder_maintenance, whose policies show every row.
        await using var maintenance = new NpgsqlConnection(maintenanceConnectionString ?? database.MaintenanceConnectionString);
        return await maintenance.ExecuteScalarAsync<int>(
            """
            SELECT (SELECT count(*) FROM recordings WHERE user_id = @userId)
                 + (SELECT count(*) FROM recording_sessions WHERE user_id = @userId)
                 + (SELECT count(*) FROM recording_edits WHERE user_id = @userId)
                 + (SELECT count(*) FROM privacy_exports WHERE user_id = @userId)
                 + (SELECT count(*) FROM privacy_erasures WHERE user_id = @userId OR counts::text LIKE '%' || @userId || '%')
                 + (SELECT count(*) FROM audit_log WHERE user_id = @userId OR actor_id = @userId OR details::text LIKE '%' || @userId || '%')
                 + (SELECT count(*) FROM recording_events WHERE user_id = @userId OR payload::text LIKE '%' || @userId || '%')
            """, new { userId });
    }
}
