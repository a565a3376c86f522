using Azure.Storage.Blobs;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Api;
using Recorder.Core.Lifecycle;
using Recorder.Core.Privacy;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Privacy;

/// <summary>
/// Erasure and the privacy sweep against the migrated schema and Azurite containers of the test's own: every
/// row and blob of the user goes (snapshots, exports, quarantine, dead-lettered events), the receipt names no
/// one, other users keep everything, and an interrupted erasure is finished by the next run.
/// </summary>
public sealed class ErasureServiceTests : ErasureTestBase
{
    [Fact]
    public async Task Erases_every_row_and_blob_of_the_user_writes_a_receipt_without_the_user_id_and_leaves_others_alone()
    {
        var userId = await data.NewUserAsync();
        var otherId = await data.NewUserAsync();
        await data.SeedAsync(userId);
        await data.SeedAsync(otherId);
        var othersBlobs = await data.BlobsOfAsync(otherId);
        var othersRows = await data.RowsNamingAsync(otherId);
        Assert.NotEmpty(await data.BlobsOfAsync(userId));

        var receipt = await EraseAsync(userId);

        Assert.Equal(ErasureReceipt.Completed, receipt.Status);
        Assert.Equal((1, 1, 1, 1, 1), (receipt.Counts.Recordings, receipt.Counts.Sessions, receipt.Counts.Edits, receipt.Counts.Exports, receipt.Counts.ReleasedContent));
        Assert.Equal(2, receipt.Counts.AuditEntries);
        Assert.Equal(2, receipt.Counts.RecordingEvents); // the recording's creation and its deletion, sent or not
        Assert.Equal(1, receipt.Counts.Snapshots);
        Assert.Equal(6, receipt.Counts.Blobs); // upload, copy, thumbnail, export, quarantined upload, dead-lettered event
        Assert.Empty(await data.BlobsOfAsync(userId));
        Assert.Equal(0, await data.RowsNamingAsync(userId));

        await using var connection = await data.OpenMaintenanceAsync();
        var receiptEntry = await connection.QuerySingleAsync<(string ActorType, string? UserId, string Details)>(
            "SELECT actor_type, user_id, details::text FROM audit_log WHERE action = 'privacy.erasure'");
        Assert.Equal(("system", null), (receiptEntry.ActorType, receiptEntry.UserId));
        Assert.Contains(receipt.SubjectHash, receiptEntry.Details, StringComparison.Ordinal);
        Assert.DoesNotContain(userId, receiptEntry.Details, StringComparison.Ordinal);
        Assert.Equal(64, receipt.SubjectHash.Length);
        Assert.DoesNotContain(userId, receipt.SubjectHash, StringComparison.Ordinal);
        var released = await connection.QuerySingleAsync<(string? VideoUrl, bool Marked)>(
            "SELECT video_url, metadata ? 'recordingDeletedAt' FROM content WHERE user_id = @userId", new { userId });
        Assert.Equal((null, true), released);

        Assert.Equal(othersBlobs.Order(StringComparer.Ordinal), (await data.BlobsOfAsync(otherId)).Order(StringComparer.Ordinal));
        Assert.Equal(othersRows, await data.RowsNamingAsync(otherId));
    }

    [Fact]
    public async Task An_erasure_interrupted_by_a_storage_outage_loses_track_of_nothing_and_a_rerun_completes_it()
    {
        var userId = await data.NewUserAsync();
        var id = await data.SeedAsync(userId);
        var stopped = new BlobServiceClient(TestStorage.StoppedConnectionString(), new BlobClientOptions { Retry = { MaxRetries = 0, NetworkTimeout = TimeSpan.FromSeconds(5) } });

        var interrupted = await EraseAsync(userId, blobs: stopped);

        Assert.Equal(ErasureReceipt.Pending, interrupted.Status);
        await using (var maintenance = new Npgsql.NpgsqlConnection(database.MaintenanceConnectionString))
        {
            // Gone for everyone (marked), and the erasure row still names the user whose blobs remain.
            Assert.Equal("deleting", await maintenance.ExecuteScalarAsync<string>("SELECT status FROM recordings WHERE id = @id", new { id }));
            Assert.Equal("pending", await maintenance.ExecuteScalarAsync<string>("SELECT status FROM privacy_erasures WHERE user_id = @userId", new { userId }));
        }
        Assert.True(await data.Blob(storage.UploadsContainer, $"{userId}/{id}/upload.webm").ExistsAsync());
        Assert.NotEqual(0, await data.RowsNamingAsync(userId));

        var finished = await EraseAsync(userId);

        Assert.Equal((interrupted.ErasureId, ErasureReceipt.Completed), (finished.ErasureId, finished.Status));
        Assert.Equal(1, finished.Counts.Recordings);
        Assert.Empty(await data.BlobsOfAsync(userId));
        Assert.Equal(0, await data.RowsNamingAsync(userId));
    }

    [Fact]
    public async Task A_finishing_erasure_is_swept_again_by_the_privacy_sweep_and_then_forgets_the_user()
    {
        var userId = await data.NewUserAsync();
        var id = await data.SeedAsync(userId);
        var gracePeriod = TimeSpan.FromHours(1);

        var finishing = await EraseAsync(userId, gracePeriod);
        Assert.Equal(ErasureReceipt.Finishing, finishing.Status);
        Assert.Empty(await data.BlobsOfAsync(userId));

        // Ingest work that was running at the erasure writes a thumbnail afterwards.
        await data.Blob(storage.ThumbnailsContainer, $"{userId}/{id}/thumbnail.jpg").UploadAsync(BinaryData.FromString("late"));
        Assert.Equal(1, (await SweepAsync(gracePeriod)).ErasuresContinued);
        Assert.Empty(await data.BlobsOfAsync(userId));
        await using var maintenance = new Npgsql.NpgsqlConnection(database.MaintenanceConnectionString);
        Assert.Equal("finishing", await maintenance.ExecuteScalarAsync<string>("SELECT status FROM privacy_erasures WHERE id = @ErasureId", new { finishing.ErasureId }));

        await maintenance.ExecuteAsync("UPDATE privacy_erasures SET finish_after = now() - interval '1 second' WHERE id = @ErasureId", new { finishing.ErasureId });
        await SweepAsync(gracePeriod);

        var completed = await maintenance.QuerySingleAsync<(string Status, string? UserId, int Blobs)>(
            "SELECT status, user_id, (counts ->> 'blobs')::int FROM privacy_erasures WHERE id = @ErasureId", new { finishing.ErasureId });
        Assert.Equal(("completed", (string?)null), (completed.Status, completed.UserId));
        Assert.Equal(finishing.Counts.Blobs + 1, completed.Blobs);
        Assert.Equal(0, await data.RowsNamingAsync(userId));
    }

    [Fact]
    public async Task The_sweep_deletes_expired_exports_zip_first_then_row_and_audits_it()
    {
        var userId = await data.NewUserAsync();
        var id = await data.SeedAsync(userId);
        var zip = data.Blob(storage.ExportsContainer, $"{userId}/exports/{id}.zip");
        await using var maintenance = new Npgsql.NpgsqlConnection(database.MaintenanceConnectionString);
        var exportId = await maintenance.ExecuteScalarAsync<long>("SELECT id FROM privacy_exports WHERE user_id = @userId", new { userId });

        Assert.Equal(0, (await SweepAsync()).ExportsExpired);
        Assert.True(await zip.ExistsAsync());

        await maintenance.ExecuteAsync("UPDATE privacy_exports SET expires_at = now() - interval '1 minute' WHERE id = @exportId", new { exportId });
        Assert.Equal(1, (await SweepAsync()).ExportsExpired);

        Assert.False(await zip.ExistsAsync());
        Assert.Equal(0, await maintenance.ExecuteScalarAsync<int>("SELECT count(*) FROM privacy_exports WHERE id = @exportId", new { exportId }));
        Assert.Equal(1, await maintenance.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit_log WHERE action = 'privacy.export_expire' AND actor_type = 'system' AND user_id = @userId AND (details ->> 'exportId')::bigint = @exportId", new { userId, exportId }));
    }

    [Theory]
    [InlineData("user")]
    [InlineData("recording")]
    public async Task An_erasure_of_a_user_under_a_legal_hold_is_refused_before_anything_changes(string hold)
    {
        var userId = await data.NewUserAsync();
        var id = await data.SeedAsync(userId);
        await PlaceHoldAsync(hold, userId, id);
        var blobs = await data.BlobsOfAsync(userId);
        var rows = await data.RowsNamingAsync(userId);

        var refused = await TryEraseAsync(userId);

        Assert.Equal(FailureKind.Conflict, refused.Failure?.Kind);
        Assert.Contains("legal hold", refused.Failure!.Detail, StringComparison.Ordinal);
        Assert.Contains("17(3)(e)", refused.Failure.Detail, StringComparison.Ordinal);
        Assert.Equal(hold, refused.Failure.Extensions?["legalHold"]);
        Assert.Equal(blobs.Order(StringComparer.Ordinal), (await data.BlobsOfAsync(userId)).Order(StringComparer.Ordinal));
        await using var maintenance = new Npgsql.NpgsqlConnection(database.MaintenanceConnectionString);
        Assert.Equal("completed", await maintenance.ExecuteScalarAsync<string>("SELECT status FROM recordings WHERE id = @id", new { id }));
        Assert.Equal(0, await maintenance.ExecuteScalarAsync<int>("SELECT count(*) FROM privacy_erasures"));
        Assert.Null(await maintenance.ExecuteScalarAsync<string?>("SELECT metadata ->> 'recordingDeletedAt' FROM content WHERE user_id = @userId", new { userId }));
        // Everything stays; the refusal itself is the one entry added, about the user.
        Assert.Equal(rows + 1, await data.RowsNamingAsync(userId));
        Assert.Equal(1, await maintenance.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit_log WHERE action = 'privacy.erasure' AND outcome = 'rejected' AND user_id = @userId AND details ->> 'legalHold' = @hold", new { userId, hold }));
    }

    [Fact]
    public async Task A_hold_placed_on_an_open_erasure_keeps_it_pending_through_the_sweeps_and_it_finishes_once_lifted()
    {
        var userId = await data.NewUserAsync();
        var id = await data.SeedAsync(userId);
        var stopped = new BlobServiceClient(TestStorage.StoppedConnectionString(), new BlobClientOptions { Retry = { MaxRetries = 0, NetworkTimeout = TimeSpan.FromSeconds(5) } });
        var interrupted = await EraseAsync(userId, blobs: stopped);
        Assert.Equal(ErasureReceipt.Pending, interrupted.Status);
        await PlaceHoldAsync("user", userId, id);
        var blobs = await data.BlobsOfAsync(userId);
        var rows = await data.RowsNamingAsync(userId);

        Assert.Equal(0, (await SweepAsync()).ErasuresContinued);
        // The lifecycle finishes recordings marked 'deleting', but not those of a held user.
        await new Lifecycle.LifecycleHarness(database, storage, "holds-" + Guid.NewGuid().ToString("N")[..12]).RunAsync();
        var again = await TryEraseAsync(userId);

        Assert.Equal(FailureKind.Conflict, again.Failure?.Kind);
        await using var maintenance = new Npgsql.NpgsqlConnection(database.MaintenanceConnectionString);
        Assert.Equal("pending", await maintenance.ExecuteScalarAsync<string>("SELECT status FROM privacy_erasures WHERE id = @ErasureId", new { interrupted.ErasureId }));
        Assert.Equal("deleting", await maintenance.ExecuteScalarAsync<string>("SELECT status FROM recordings WHERE id = @id", new { id }));
        Assert.Equal(blobs.Order(StringComparer.Ordinal), (await data.BlobsOfAsync(userId)).Order(StringComparer.Ordinal));
        Assert.Equal(rows + 1, await data.RowsNamingAsync(userId)); // the refused request's audit entry

        await maintenance.ExecuteAsync("DELETE FROM user_legal_holds WHERE user_id = @userId", new { userId });
        Assert.Equal(1, (await SweepAsync()).ErasuresContinued);

        Assert.Equal("completed", await maintenance.ExecuteScalarAsync<string>("SELECT status FROM privacy_erasures WHERE id = @ErasureId", new { interrupted.ErasureId }));
        Assert.Empty(await data.BlobsOfAsync(userId));
        Assert.Equal(0, await data.RowsNamingAsync(userId));
    }

    [Fact]
    public async Task Erasure_removes_the_users_storage_alerts_and_user_retention_policy_but_not_anyone_elses()
    {
        var userId = await data.NewUserAsync();
        var otherId = await data.NewUserAsync();
        await data.SeedAsync(userId);
        await data.SeedAsync(otherId);
        int projectId;
        await using (var owner = await data.OpenOwnerAsync())
        {
            projectId = await owner.ExecuteScalarAsync<int>("INSERT INTO projects (user_id, name, type) VALUES (@userId, 'Course', 'video') RETURNING id", new { userId });
        }
        await using (var seed = await data.OpenMaintenanceAsync())
        {
            await seed.ExecuteAsync(
                """
                INSERT INTO alerts (kind, subject, severity, value, threshold) VALUES ('storage_usage', @userId, 'critical', 97, 95), ('storage_usage', @otherId, 'warning', 85, 80);
                INSERT INTO alerts (kind, subject, severity, value, threshold, first_seen, resolved_at) VALUES ('storage_usage', @userId, 'warning', 81, 80, now() - interval '2 days', now() - interval '1 day');
                INSERT INTO alerts (kind, subject, severity, value, threshold) VALUES ('recording_failures', 'last_hour', 'warning', 30, 20);
                INSERT INTO retention_policies (user_id, retention_days) VALUES (@userId, 30), (@otherId, 60);
                INSERT INTO retention_policies (project_id, retention_days) VALUES (@projectId, 90);
                """, new { userId, otherId, projectId });
        }

        var receipt = await EraseAsync(userId);

        Assert.Equal(ErasureReceipt.Completed, receipt.Status);
        Assert.Equal((2, 1), (receipt.Counts.Alerts, receipt.Counts.RetentionPolicies));
        await using var maintenance = new Npgsql.NpgsqlConnection(database.MaintenanceConnectionString);
        Assert.Equal(0, await maintenance.ExecuteScalarAsync<int>("SELECT count(*) FROM alerts WHERE subject = @userId", new { userId }));
        Assert.Equal(0, await maintenance.ExecuteScalarAsync<int>("SELECT count(*) FROM retention_policies WHERE user_id = @userId", new { userId }));
        Assert.Equal(2, await maintenance.ExecuteScalarAsync<int>("SELECT count(*) FROM alerts WHERE subject IN (@otherId, 'last_hour')", new { otherId }));
        Assert.Equal(60, await maintenance.ExecuteScalarAsync<int>("SELECT retention_days FROM retention_policies WHERE user_id = @otherId", new { otherId }));
        // The project is the app's: its policy stays with it.
        Assert.Equal(90, await maintenance.ExecuteScalarAsync<int>("SELECT retention_days FROM retention_policies WHERE project_id = @projectId", new { projectId }));
        Assert.Equal(2, await maintenance.ExecuteScalarAsync<int>(
            "SELECT (details -> 'counts' ->> 'alerts')::int FROM audit_log WHERE action = 'privacy.erasure' AND outcome = 'success'"));
    }

    private async Task PlaceHoldAsync(string hold, string userId, long recordingId)
    {
        await using var services = new Lifecycle.LifecycleHarness(database, storage, "unused").Build();
        await services.GetRequiredService<RetentionAdministration>().SetHoldAsync(hold == "user" ? new RetentionSubject(UserId: userId) : new RetentionSubject(RecordingId: recordingId), hold: true, "litigation 7", CancellationToken.None);
    }

    private async Task<ErasureReceipt> EraseAsync(string userId, TimeSpan? gracePeriod = null, BlobServiceClient? blobs = null)
    {
        var result = await TryEraseAsync(userId, gracePeriod, blobs);
        Assert.Null(result.Failure);
        return result.Value!;
    }

    private Task<ServiceResult<ErasureReceipt>> TryEraseAsync(string userId, TimeSpan? gracePeriod = null, BlobServiceClient? blobs = null)
        => erasures.RunAsync(service => service.EraseAsync(userId, progress: null, CancellationToken.None), gracePeriod, blobs);

    private Task<PrivacySweepResult> SweepAsync(TimeSpan? gracePeriod = null) => erasures.SweepAsync(gracePeriod);
}
