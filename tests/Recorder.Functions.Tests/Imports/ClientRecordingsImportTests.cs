using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Dapper;
using Recorder.Functions.Tests.Api;
using Recorder.Functions.Tests.Ingest;
using Recorder.Testing;
using Xunit;

namespace Recorder.Functions.Tests.Imports;

/// <summary>
/// <c>recorder import-client-recordings</c> run as a process against the ingest host (dev host with the event
/// bridge and queue workers over a database and Azurite containers of its own, real ffmpeg): each entry goes
/// through the upload path as its user, then to 'completed' the normal way. Every test has a user of its own.
/// </summary>
public sealed class ClientRecordingsImportTests(IngestTestHost ingest) : IClassFixture<IngestTestHost>, IDisposable
{
    private readonly ClientExportFolder export = new();

    public void Dispose() => export.Dispose();

    private sealed record Row(long Id, string ClientId, string Status, string Title, string RecordingType, long FileSize, string Metadata);

    [Fact]
    public async Task An_unpacked_export_is_imported_as_its_user_and_ingested_to_completed()
    {
        var user = await ingest.Api.SignInNewUserAsync();
        var camera = export.Add("chrome-camera.webm", "camera", "video/webm;codecs=vp8,opus", durationSeconds: 5.005m);
        var audio = export.Add("audio.ogg", "audio", "audio/ogg", durationSeconds: 4.0m);
        camera["slides"] = JsonNode.Parse("""
            { "version": 1,
              "entries": [ { "index": 0, "fileName": "intro.png", "start": 0 }, { "index": 1, "fileName": "agenda.png", "start": 2.5 } ] }
            """);

        var run = await ImportCommand.RunAsync(ingest, user.Id, export.WriteManifest());

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("Imported 2, already imported 0, failed 0 of 2 entries.", run.Output);
        var rows = await RowsAsync(user.Id);
        Assert.Equal(2, rows.Count);
        foreach (var (entry, fixture, expectedDuration) in new[] { (camera, "chrome-camera.webm", 5.005), (audio, "audio.ogg", 4.0) })
        {
            var row = Assert.Single(rows, r => r.ClientId == (string)entry["localId"]!);
            Assert.Equal((string)entry["title"]!, row.Title);
            Assert.Equal((string)entry["recordingType"]!, row.RecordingType);
            var recording = await ingest.WaitForOutcomeAsync(user, row.Id);
            Assert.Equal("completed", recording.GetProperty("status").GetString());
            Assert.Equal(new FileInfo(TestEnvironment.MediaFixture(fixture)).Length, recording.GetProperty("fileSize").GetInt64());
            Assert.InRange((double)recording.GetProperty("duration").GetDecimal(), expectedDuration - 0.1, expectedDuration + 0.1);
            var kept = recording.GetProperty("metadata").GetProperty("clientImport");
            Assert.Equal("2026-11-25T15:40:00.000Z", kept.GetProperty("createdAt").GetString());
            Assert.Equal((string)entry["localId"]!, kept.GetProperty("localId").GetString());
            Assert.Equal(expectedDuration, (double)kept.GetProperty("durationSeconds").GetDecimal());
            // A slide timeline the page kept goes where its own upload puts it.
            var stored = recording.GetProperty("metadata").TryGetProperty("slides", out var slides)
                ? JsonNode.Parse(slides.GetRawText())
                : null;
            Assert.True(JsonNode.DeepEquals(entry["slides"], stored),
                $"imported {entry["slides"]?.ToJsonString()}, stored {stored?.ToJsonString()}");
        }

        // Uploaded in blocks of the configured size: the served copy of the Ogg keeps the upload's block list.
        await using (var maintenance = await ingest.OpenMaintenanceAsync())
        {
            var blobName = await maintenance.ExecuteScalarAsync<string>(
                "SELECT media_blob_name FROM recordings WHERE client_id = @ClientId", new { ClientId = (string)audio["localId"]! });
            var blocks = (await ingest.Container(ingest.Api.Storage.ProcessedContainer).GetBlockBlobClient(blobName).GetBlockListAsync(BlockListTypes.Committed)).Value.CommittedBlocks.ToList();
            Assert.Equal((int)Math.Ceiling((int)audio["sizeBytes"]! / (double)ImportCommand.BlockSize), blocks.Count);
            Assert.True(blocks.Count > 1);
        }

        // The upload path's audit, as the user, named as this command.
        await using var connection = await ingest.OpenMaintenanceAsync();
        var created = (await connection.QueryAsync<(string Outcome, string UserAgent, string RequestId)>(
            "SELECT outcome, user_agent, request_id FROM audit_log WHERE user_id = @Id AND action = 'recording.create'", new { user.Id })).ToList();
        Assert.Equal(2, created.Count);
        Assert.All(created, entry => Assert.Equal(("success", "recorder import-client-recordings"), (entry.Outcome, entry.UserAgent)));
        Assert.Single(created.Select(entry => entry.RequestId).Distinct());

        var again = await ImportCommand.RunAsync(ingest, user.Id, export.ManifestPath);

        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Contains("Imported 0, already imported 2, failed 0 of 2 entries.", again.Output);
        Assert.Equal(rows.Select(r => r.Id).Order(), (await RowsAsync(user.Id)).Select(r => r.Id).Order());
    }

    [Fact]
    public async Task The_zip_the_page_saves_is_imported_as_it_is()
    {
        var user = await ingest.Api.SignInNewUserAsync();
        export.Add("audio.mp3", "audio", "audio/mpeg");
        export.Add("chrome-audio.webm", "audio", "audio/webm;codecs=opus");

        var run = await ImportCommand.RunAsync(ingest, user.Id, export.WriteZip());

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("Imported 2, already imported 0, failed 0 of 2 entries.", run.Output);
        foreach (var row in await RowsAsync(user.Id))
        {
            Assert.Equal("completed", (await ingest.WaitForOutcomeAsync(user, row.Id)).GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task An_import_killed_after_its_first_entry_is_finished_by_a_rerun_with_each_recording_once()
    {
        var user = await ingest.Api.SignInNewUserAsync();
        var first = export.Add("chrome-audio.webm", "audio", "audio/webm;codecs=opus");
        var second = export.Add("audio.ogg", "audio", "audio/ogg");
        export.Add("audio.mp3", "audio", "audio/mpeg");
        var manifest = export.WriteManifest();

        // A gate: an uncommitted row holding the second entry's client id makes the import's insert of that
        // entry wait on the unique index, so the process is killed while that entry's statement is in flight. It is a
        // failed row: one in use would hold the user's user_storage_usage row, and the first entry would wait on that.
        // The upload's unit of work is one round trip with no COMMIT to wait for, so PostgreSQL may still commit the
        // second entry's recording after the process is gone, as it finishes any request it has received: the rerun
        // must take both cases.
        await using (var gate = await ingest.OpenMaintenanceAsync())
        await using (var gateTransaction = await gate.BeginTransactionAsync())
        {
            await gate.ExecuteAsync(
                "INSERT INTO recordings (user_id, title, recording_type, file_size, mime_type, blob_name, client_id, status, failure_code) " +
                "VALUES (@UserId, 'gate', 'audio', 1, 'audio/ogg', @BlobName, @ClientId, 'failed', 'corrupt_media')",
                new { UserId = user.Id, BlobName = "gate/" + Guid.NewGuid(), ClientId = (string)second["localId"]! }, gateTransaction);

            using var process = ImportCommand.Start(ingest, user.Id, manifest);
            await Eventually.TrueAsync(async () => await AppBackendsWaitingForALockAsync() == 1,
                "the import waits at the second entry");
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            await gateTransaction.RollbackAsync();
        }

        var afterKill = await RowsAsync(user.Id);
        Assert.Contains(afterKill, row => row.ClientId == (string)first["localId"]!);
        Assert.All(afterKill, row => Assert.Contains(row.ClientId, new[] { (string)first["localId"]!, (string)second["localId"]! }));

        var rerun = await ImportCommand.RunAsync(ingest, user.Id, manifest);

        Assert.True(rerun.ExitCode == 0, rerun.Output);
        Assert.Contains("Imported 2, already imported 1, failed 0 of 3 entries.", rerun.Output);
        var rows = await RowsAsync(user.Id);
        Assert.Equal(3, rows.Count);
        Assert.Equal(3, rows.Select(r => r.ClientId).Distinct().Count());
        Assert.All(afterKill, row => Assert.Contains(rows, r => r.Id == row.Id));
        foreach (var row in rows)
        {
            Assert.Equal("completed", (await ingest.WaitForOutcomeAsync(user, row.Id)).GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task Two_imports_at_once_make_one_recording_per_client_id()
    {
        var user = await ingest.Api.SignInNewUserAsync();
        var entry = export.Add("audio.ogg", "audio", "audio/ogg");
        var manifest = export.WriteManifest();

        // The other run: its recording of the same client id is inserted, not yet committed, when this run looks.
        ImportCommand.Run run;
        await using (var other = await ingest.OpenMaintenanceAsync())
        await using (var otherTransaction = await other.BeginTransactionAsync())
        {
            await other.ExecuteAsync(
                "INSERT INTO recordings (user_id, title, recording_type, file_size, mime_type, blob_name, client_id) VALUES (@UserId, 'other run', 'audio', 1, 'audio/ogg', @BlobName, @ClientId)",
                new { UserId = user.Id, BlobName = "other/" + Guid.NewGuid(), ClientId = (string)entry["localId"]! }, otherTransaction);
            var running = ImportCommand.RunAsync(ingest, user.Id, manifest);
            await Eventually.TrueAsync(async () => await AppBackendsWaitingForALockAsync() == 1,
                "the import waits for the other run's recording");
            await otherTransaction.CommitAsync();
            run = await running;
        }

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"entry 1 ({entry["localId"]}): You already have a recording with client id '{entry["localId"]}'.", run.Output);
        Assert.Equal("other run", Assert.Single(await RowsAsync(user.Id)).Title);
    }

    [Fact]
    public async Task A_recording_created_before_its_upload_failed_is_finished_on_the_same_row_with_a_renewed_url()
    {
        var user = await ingest.Api.SignInNewUserAsync();
        var entry = export.Add("audio.mp3", "audio", "audio/mpeg");
        var manifest = export.WriteManifest();

        // Storage unreachable: the recording is created (upload URLs are signed locally), its upload never lands.
        var broken = await ImportCommand.RunAsync(ingest, user.Id, manifest, TestStorage.StoppedConnectionString());

        Assert.Equal(1, broken.ExitCode);
        Assert.Contains("Imported 0, already imported 0, failed 1 of 1 entries.", broken.Output);
        Assert.Contains("did not finish", broken.Output);
        var stranded = Assert.Single(await RowsAsync(user.Id));
        Assert.Equal(("uploading", (string)entry["localId"]!), (stranded.Status, stranded.ClientId));

        var resumed = await ImportCommand.RunAsync(ingest, user.Id, manifest);

        Assert.True(resumed.ExitCode == 0, resumed.Output);
        Assert.Contains("Imported 1, already imported 0, failed 0 of 1 entries.", resumed.Output);
        Assert.Equal(stranded.Id, Assert.Single(await RowsAsync(user.Id)).Id);
        Assert.Equal("completed", (await ingest.WaitForOutcomeAsync(user, stranded.Id)).GetProperty("status").GetString());
        Assert.Equal(1, await ingest.CountAsync(
            "SELECT count(*) FROM audit_log WHERE recording_id = @Id AND action = 'recording.renew_upload_url' AND outcome = 'success'", new { stranded.Id }));
    }

    [Fact]
    public async Task An_upload_the_lifecycle_sweep_abandoned_is_imported_again_as_a_new_recording()
    {
        var user = await ingest.Api.SignInNewUserAsync();
        export.Add("audio.mp3", "audio", "audio/mpeg");
        var manifest = export.WriteManifest();
        Assert.Equal(1, (await ImportCommand.RunAsync(ingest, user.Id, manifest, TestStorage.StoppedConnectionString())).ExitCode);
        var abandoned = Assert.Single(await RowsAsync(user.Id));
        await using (var connection = await ingest.OpenMaintenanceAsync())
        {
            // What the sweep does to an upload left 'uploading' for a day.
            await connection.ExecuteAsync("UPDATE recordings SET status = 'failed', failure_code = 'upload_abandoned', failure_reason = 'abandoned' WHERE id = @Id", new { abandoned.Id });
        }

        var run = await ImportCommand.RunAsync(ingest, user.Id, manifest);

        Assert.True(run.ExitCode == 0, run.Output);
        var rows = await RowsAsync(user.Id);
        Assert.Equal(2, rows.Count);
        var fresh = Assert.Single(rows, r => r.Id != abandoned.Id);
        Assert.Equal(abandoned.ClientId, fresh.ClientId);
        Assert.Equal("completed", (await ingest.WaitForOutcomeAsync(user, fresh.Id)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Bad_entries_are_reported_with_their_reasons_and_skipped_while_the_rest_imports()
    {
        var user = await ingest.Api.SignInNewUserAsync();
        var good = export.Add("audio.ogg", "audio", "audio/ogg");
        var missing = export.Add("audio.mp3", "audio", "audio/mpeg");
        File.Delete(Path.Combine(export.Path, (string)missing["fileName"]!));
        var wrongSize = export.Add("audio.wav", "audio", "audio/wav");
        wrongSize["sizeBytes"] = 1234;
        var wrongHash = export.Add("chrome-audio.webm", "audio", "audio/webm");
        wrongHash["sha256"] = new string('0', 64);
        var unknownType = export.Add("audio.mp3", "audio", "audio/mpeg");
        unknownType["recordingType"] = "hologram";
        var unknownMime = export.Add("faststart.mp4", "camera", "video/mp4");
        unknownMime["mimeType"] = "video/avi";
        var untitled = export.Add("audio.mp3", "audio", "audio/mpeg");
        untitled.Remove("title");
        export.AddRaw(new JsonObject { ["localId"] = (string)good["localId"]!, ["title"] = "twin", ["recordingType"] = "audio", ["mimeType"] = "audio/ogg", ["fileName"] = (string)good["fileName"]! });
        export.AddRaw(new JsonObject { ["localId"] = "not-a-number", ["sizeBytes"] = "big" });
        var manifest = export.WriteManifest();

        var run = await ImportCommand.RunAsync(ingest, user.Id, manifest);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Imported 1, already imported 0, failed 8 of 9 entries.", run.Output);
        Assert.Contains($"entry 2 ({missing["localId"]}): file '{missing["fileName"]}' is not in the export.", run.Output);
        Assert.Contains($"entry 3 ({wrongSize["localId"]}): file '{wrongSize["fileName"]}' has 128044 bytes; the manifest says 1234.", run.Output);
        Assert.Contains($"entry 4 ({wrongHash["localId"]}): file '{wrongHash["fileName"]}' does not match the manifest's sha256", run.Output);
        Assert.Contains($"entry 5 ({unknownType["localId"]}): recordingType 'hologram' is not one of", run.Output);
        Assert.Contains($"entry 6 ({unknownMime["localId"]}): mimeType 'video/avi' is not one of", run.Output);
        Assert.Contains($"entry 7 ({untitled["localId"]}): title is required.", run.Output);
        Assert.Contains($"entry 8 ({good["localId"]}): localId repeats entry 1 of the manifest.", run.Output);
        Assert.Contains("entry 9 (not-a-number): is not a valid entry ($.sizeBytes", run.Output);
        Assert.Equal((string)good["localId"]!, Assert.Single(await RowsAsync(user.Id)).ClientId);

        var again = await ImportCommand.RunAsync(ingest, user.Id, manifest);

        Assert.Equal(1, again.ExitCode);
        Assert.Contains("Imported 0, already imported 1, failed 8 of 9 entries.", again.Output);
        Assert.Single(await RowsAsync(user.Id));
    }

    [Fact]
    public async Task Entries_beyond_the_users_storage_limit_fail_one_by_one_with_the_numbers()
    {
        var user = await ingest.Api.SignInNewUserAsync();
        var fits = export.Add("audio.ogg", "audio", "audio/ogg");
        var tooLarge = export.Add("audio.wav", "audio", "audio/wav");
        var alsoTooLarge = export.Add("chrome-audio.webm", "audio", "audio/webm;codecs=opus");
        var limit = (int)fits["sizeBytes"]! + 1000L;
        await using (var connection = await ingest.OpenMaintenanceAsync())
        {
            await connection.ExecuteAsync("INSERT INTO user_storage_limits (user_id, limit_bytes) VALUES (@Id, @limit)", new { user.Id, limit });
        }

        var run = await ImportCommand.RunAsync(ingest, user.Id, export.WriteManifest());

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Imported 1, already imported 0, failed 2 of 3 entries.", run.Output);
        var used = (int)fits["sizeBytes"]!;
        Assert.Contains($"entry 2 ({tooLarge["localId"]}): This recording ({tooLarge["sizeBytes"]} bytes) does not fit in your storage: {used} of {limit} bytes are in use.", run.Output);
        Assert.Contains($"entry 3 ({alsoTooLarge["localId"]}): This recording ({alsoTooLarge["sizeBytes"]} bytes) does not fit in your storage: {used} of {limit} bytes are in use.", run.Output);
        Assert.Equal((string)fits["localId"]!, Assert.Single(await RowsAsync(user.Id)).ClientId);
        Assert.Equal(2, await ingest.CountAsync("SELECT count(*) FROM audit_log WHERE user_id = @Id AND action = 'recording.create' AND outcome = 'rejected'", new { user.Id }));
    }

    [Fact]
    public async Task An_unknown_manifest_version_or_user_stops_before_anything_is_imported()
    {
        var user = await ingest.Api.SignInNewUserAsync();
        export.Add("audio.ogg", "audio", "audio/ogg");
        var manifest = export.WriteManifest();

        var unknownUser = await ImportCommand.RunAsync(ingest, "nobody-" + Guid.NewGuid().ToString("N")[..8], manifest);
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"version\":1", "\"version\":2", StringComparison.Ordinal));
        var unknownVersion = await ImportCommand.RunAsync(ingest, user.Id, manifest);

        Assert.Equal(1, unknownUser.ExitCode);
        Assert.Contains("There is no user 'nobody-", unknownUser.Output);
        Assert.Equal(1, unknownVersion.ExitCode);
        Assert.Contains("is version 2; this command reads version 1.", unknownVersion.Output);
        Assert.Empty(await RowsAsync(user.Id));
    }

    // As the owner: its pg_monitor membership (azure_pg_admin's) shows other roles' wait events, which
    // recorder_maintenance's pg_stat_activity leaves empty.
    private async Task<int> AppBackendsWaitingForALockAsync()
    {
        await using var connection = await ingest.OpenOwnerAsync();
        return await connection.ExecuteScalarAsync<int>(
            """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND usename = 'recorder_app' AND wait_event_type = 'Lock'
            """);
    }

    private async Task<List<Row>> RowsAsync(string userId)
    {
        await using var connection = await ingest.OpenMaintenanceAsync();
        return (await connection.QueryAsync<Row>(
            "SELECT id, client_id AS ClientId, status, title, recording_type AS RecordingType, file_size AS FileSize, metadata::text AS Metadata FROM recordings WHERE user_id = @userId ORDER BY id",
            new { userId })).ToList();
    }
}
