using Azure.Storage.Blobs.Models;
using Dapper;
using Recorder.Functions.Tests.Ingest;
using Recorder.Testing;

namespace Recorder.Functions.Tests.Privacy;

/// <summary>
/// The ingest host (event bridge, queue workers, ffmpeg) with exports in a container of its own and erasures that
/// forget the user at once (no grace period), so a test sees an erasure complete in one call.
/// </summary>
public sealed class PrivacyTestHost : IngestTestHost
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Storage:ExportsContainer"] = Api.Storage.ExportsContainer;
        settings["Privacy:ErasureGracePeriod"] = "00:00:00";
    }

    /// <summary>
    /// A completed recording of the user, as ingest leaves it: its media a seekable copy in the processed container
    /// and a thumbnail, each with content naming the user, so an export shows whose bytes it carries. The upload
    /// container, which the event bridge watches, is not touched.
    /// </summary>
    public async Task<long> SeedCompletedRecordingAsync(string userId)
    {
        long id;
        await using (var maintenance = await OpenMaintenanceAsync())
        {
            id = await maintenance.ExecuteScalarAsync<long>(
                """
                INSERT INTO recordings (user_id, title, recording_type, file_size, mime_type, blob_name,
                                        media_blob_name, thumbnail_blob_name, status, duration, completed_at)
                VALUES (@userId, 'Seeded ' || @userId, 'camera', 10, 'video/webm', @userId || '/' || gen_random_uuid(),
                        NULL, NULL, 'completed', 1.5, now())
                RETURNING id
                """, new { userId });
            await maintenance.ExecuteAsync(
                """
                UPDATE recordings SET media_blob_name = @userId || '/' || id || '/seekable.webm',
                                      thumbnail_blob_name = @userId || '/' || id || '/thumbnail.jpg'
                WHERE id = @id;
                INSERT INTO recording_sessions (user_id, recording_type, status, recording_id, ended_at)
                VALUES (@userId, 'camera', 'completed', @id, now());
                INSERT INTO recording_edits (recording_id, user_id, edit_type, parameters, sequence)
                VALUES (@id, @userId, 'trim', '{"start": 0, "end": 1}', 1);
                """, new { userId, id });
        }
        // The main app's table, which recorder_maintenance may not add to.
        await using (var owner = await OpenOwnerAsync())
        {
            await owner.ExecuteAsync(
                """
                INSERT INTO content (user_id, title, platform, content_type, video_url, metadata)
                VALUES (@userId, 'Made from ' || @id, 'youtube', 'video', 'recorder://recordings/' || @id || '/media',
                        jsonb_build_object('recordingId', @id, 'source', 'recorder-functions'));
                """, new { userId, id });
        }
        await Container(Api.Storage.ProcessedContainer).GetBlobClient($"{userId}/{id}/seekable.webm").UploadAsync(BinaryData.FromString($"media of {userId}"));
        await Container(Api.Storage.ThumbnailsContainer).GetBlobClient($"{userId}/{id}/thumbnail.jpg")
            .UploadAsync(BinaryData.FromString($"thumbnail of {userId}"), new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "image/jpeg" } });
        return id;
    }

    /// <summary>Names of every blob under the prefix in the container, snapshots and all.</summary>
    public async Task<List<string>> BlobsAsync(string container, string prefix)
    {
        var names = new List<string>();
        await foreach (var item in Container(container).GetBlobsAsync(new GetBlobsOptions { Prefix = prefix, States = BlobStates.Snapshots }))
        {
            names.Add(item.Snapshot is null ? item.Name : $"{item.Name}@{item.Snapshot}");
        }
        return names;
    }
}
