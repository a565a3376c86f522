using Azure.Storage.Blobs.Models;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Recorder.Core.Privacy;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Privacy;

/// <summary>
/// Erasures survive restores (issue 21) against the real PostgreSQL 17 and Azurite. The backup is a physical copy of
/// the test database, <c>CREATE DATABASE … TEMPLATE</c>, which is what an Azure point-in-time restore is: the
/// reachable registries offer no pg_dump 17 (Debian's 15 refuses a 17 server), so no pg_dump is involved. The user's
/// blobs are copied aside and put back, as a blob restore from the vault would.
/// </summary>
public sealed class ErasureLedgerTests : ErasureTestBase
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

    [Fact]
    public async Task A_restored_backup_erases_the_user_again_on_replay_and_a_second_replay_changes_nothing()
    {
        var userId = await data.NewUserAsync();
        var otherId = await data.NewUserAsync();
        var recordingId = await data.SeedAsync(userId);
        await data.SeedAsync(otherId);
        var blobCopies = await CopyBlobsAsync(userId);
        Assert.NotEmpty(blobCopies);
        var othersRows = await data.RowsNamingAsync(otherId);
        var othersBlobs = await data.BlobsOfAsync(otherId);

        var backupTakenAt = DateTimeOffset.UtcNow;
        var backup = await CopyDatabaseAsync(database.Name, "backup");
        var restored = "";
        try
        {
            var receipt = await erasures.RunAsync(service => service.EraseAsync(userId, progress: null, CancellationToken.None));
            Assert.Equal(ErasureReceipt.Completed, receipt.Value!.Status);
            var entry = Assert.Single(await LedgerAsync());
            Assert.Equal(receipt.Value.SubjectHash, entry.Entry.SubjectHash);
            Assert.Equal([recordingId], entry.Entry.Recordings);
            Assert.DoesNotContain(userId, entry.Text, StringComparison.Ordinal);

            // The restore: the backup into a new database, the user's blobs back into their containers.
            restored = await CopyDatabaseAsync(backup, "restored");
            var restoredMaintenance = TestDatabases.ConnectionString(restored, TestDatabases.MaintenanceRole);
            foreach (var (container, name, content) in blobCopies)
            {
                await data.Blob(container, name).UploadAsync(content, overwrite: true);
            }
            Assert.NotEqual(0, await data.RowsNamingAsync(userId, restoredMaintenance));
            Assert.NotEmpty(await data.BlobsOfAsync(userId));

            var first = await ReplayAsync(restored, backupTakenAt);

            Assert.Equal(new ErasureReplayResult(1, 1, 0, 0, 0, 0), first);
            Assert.Equal(0, await data.RowsNamingAsync(userId, restoredMaintenance));
            Assert.Empty(await data.BlobsOfAsync(userId));
            Assert.Equal(othersRows, await data.RowsNamingAsync(otherId, restoredMaintenance));
            Assert.Equal(othersBlobs.Order(StringComparer.Ordinal), (await data.BlobsOfAsync(otherId)).Order(StringComparer.Ordinal));
            await using (var connection = new NpgsqlConnection(restoredMaintenance))
            {
                var replayed = await connection.QuerySingleAsync<(string RequestedBy, Guid LedgerId)>(
                    "SELECT requested_by, ledger_id FROM privacy_erasures");
                Assert.Equal((ErasureReceipt.ByReplay, entry.Entry.LedgerId), replayed);
            }
            Assert.Single(await LedgerAsync());

            var before = await StateAsync(restoredMaintenance);
            var second = await ReplayAsync(restored, backupTakenAt);

            Assert.Equal(new ErasureReplayResult(1, 0, 1, 0, 0, 0), second);
            Assert.Equal(before, await StateAsync(restoredMaintenance));
        }
        finally
        {
            foreach (var copy in new[] { backup, restored }.Where(name => name.Length > 0))
            {
                await TestDatabases.DropAsync(copy);
            }
        }
    }

    [Fact]
    public async Task Blobs_a_restore_brought_back_without_any_row_are_erased_by_their_folder()
    {
        var userId = await data.NewUserAsync();
        await data.SeedAsync(userId);
        var backupTakenAt = DateTimeOffset.UtcNow;
        var blobCopies = await CopyBlobsAsync(userId);
        await erasures.RunAsync(service => service.EraseAsync(userId, progress: null, CancellationToken.None));
        foreach (var (container, name, content) in blobCopies)
        {
            await data.Blob(container, name).UploadAsync(content, overwrite: true);
        }
        // A database that never knew the user (restored from before their first recording): only storage remembers them.
        var empty = await TestDatabases.CreateMigratedAsync("ledgerempty");
        try
        {
            await CopySubjectKeyAsync(empty);

            var result = await ReplayAsync(empty, backupTakenAt);

            Assert.Equal(new ErasureReplayResult(1, 0, 0, 1, 0, 0), result);
            Assert.Empty(await data.BlobsOfAsync(userId));
            Assert.Equal(new ErasureReplayResult(1, 0, 0, 0, 1, 0), await ReplayAsync(empty, backupTakenAt));
        }
        finally
        {
            await TestDatabases.DropAsync(empty);
        }
    }

    [Fact]
    public async Task A_ledger_that_cannot_be_written_fails_the_erasure_visibly_before_it_deletes_anything_and_a_retry_completes_it()
    {
        var userId = await data.NewUserAsync();
        var id = await data.SeedAsync(userId);
        var blobs = await data.BlobsOfAsync(userId);
        await data.Blobs.GetBlobContainerClient(storage.ErasureLedgerContainer).DeleteAsync();

        var requested = (await erasures.RunAsync(service => service.RequestAsync(userId, CancellationToken.None))).Value!;
        await using (var services = erasures.Build())
        {
            var worker = services.GetRequiredService<ErasureService>();
            var failure = await Assert.ThrowsAsync<ErasureLedgerException>(
                () => worker.RunAsync(new ErasureMessage(requested.ErasureId), CancellationToken.None));
            Assert.Contains(storage.ErasureLedgerContainer, failure.Message, StringComparison.Ordinal);
            // The operator's run stops there too: still pending, which erase-user reports with exit code 1.
            Assert.Equal(ErasureReceipt.Pending, (await worker.EraseAsync(userId, progress: null, CancellationToken.None)).Value!.Status);
        }
        // The privacy sweep logs it and leaves the erasure pending.
        Assert.Equal(1, (await erasures.SweepAsync()).ErasuresContinued);

        await using (var connection = await data.OpenMaintenanceAsync())
        {
            Assert.Equal(("pending", "deleting"), await connection.QuerySingleAsync<(string, string)>(
                "SELECT e.status, r.status FROM privacy_erasures e, recordings r WHERE e.id = @ErasureId AND r.id = @id",
                new { requested.ErasureId, id }));
            Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM audit_log WHERE action = 'privacy.erasure'"));
        }

        await data.Blobs.GetBlobContainerClient(storage.ErasureLedgerContainer).CreateIfNotExistsAsync();
        Assert.Equal(blobs.Order(StringComparer.Ordinal), (await data.BlobsOfAsync(userId)).Order(StringComparer.Ordinal));
        await erasures.RunAsync(service => service.RunAsync(new ErasureMessage(requested.ErasureId), CancellationToken.None));

        Assert.Single(await LedgerAsync());
        Assert.Empty(await data.BlobsOfAsync(userId));
        Assert.Equal(0, await data.RowsNamingAsync(userId));
    }

    [Fact]
    public async Task Writing_an_entry_again_leaves_the_one_entry_there()
    {
        var entry = new ErasureLedgerEntry(ErasureLedgerEntry.CurrentVersion, Guid.NewGuid(), new string('a', 64), "0123456789abcdef",
            DateTimeOffset.UtcNow, DeadLettersSince: null, [3, 1, 2]);
        await using var services = erasures.Build();
        var ledger = services.GetRequiredService<ErasureLedger>();

        await ledger.AppendAsync(entry, CancellationToken.None);
        await ledger.AppendAsync(entry with { Recordings = [1, 2, 3] }, CancellationToken.None);

        Assert.Equal([entry.LedgerId], (await LedgerAsync()).Select(found => found.Entry.LedgerId));
    }

    private async Task<ErasureReplayResult> ReplayAsync(string databaseName, DateTimeOffset since)
    {
        await using var services = erasures.Build(settings: new Dictionary<string, string?>
        {
            ["Database:AppConnectionString"] = TestDatabases.ConnectionString(databaseName, TestDatabases.AppRole),
            ["Database:MaintenanceConnectionString"] = TestDatabases.ConnectionString(databaseName, TestDatabases.MaintenanceRole),
        });
        return await services.GetRequiredService<ErasureReplay>().ReplayAsync(since, progress: null, CancellationToken.None);
    }

    private async Task<List<(string Text, ErasureLedgerEntry Entry)>> LedgerAsync()
    {
        var container = data.Blobs.GetBlobContainerClient(storage.ErasureLedgerContainer);
        var entries = new List<(string, ErasureLedgerEntry)>();
        await foreach (var item in container.GetBlobsAsync())
        {
            var content = (await container.GetBlobClient(item.Name).DownloadContentAsync()).Value.Content;
            entries.Add((item.Name + content, content.ToObjectFromJson<ErasureLedgerEntry>(Json)!));
        }
        return entries;
    }

    /// <summary>The current blobs of the user's (snapshots aside) with their content, as a blob backup keeps them.</summary>
    private async Task<List<(string Container, string Name, BinaryData Content)>> CopyBlobsAsync(string userId)
    {
        var copies = new List<(string, string, BinaryData)>();
        foreach (var found in await data.BlobsOfAsync(userId))
        {
            var slash = found.IndexOf('/', StringComparison.Ordinal);
            var (container, name) = (found[..slash], found[(slash + 1)..]);
            if (!name.Contains('@', StringComparison.Ordinal))
            {
                copies.Add((container, name, (await data.Blob(container, name).DownloadContentAsync()).Value.Content));
            }
        }
        return copies;
    }

    /// <summary>A physical copy of the database; nobody may be connected to it meanwhile.</summary>
    private static async Task<string> CopyDatabaseAsync(string source, string purpose)
    {
        NpgsqlConnection.ClearAllPools();
        var name = $"{source}_{purpose}"[..Math.Min(source.Length + purpose.Length + 1, 63)];
        await using var admin = new NpgsqlConnection(TestDatabases.ConnectionString("postgres", pooling: false));
        await admin.ExecuteAsync($"CREATE DATABASE {name} TEMPLATE {source}");
        return name;
    }

    /// <summary>Gives another database this one's subject key, as every backup of this database has it.</summary>
    private async Task CopySubjectKeyAsync(string target)
    {
        await using var maintenance = await data.OpenMaintenanceAsync();
        var key = await maintenance.ExecuteScalarAsync<byte[]>("SELECT key FROM privacy_subject_key");
        await using var owner = new NpgsqlConnection(TestDatabases.ConnectionString(target));
        await owner.ExecuteAsync("ALTER TABLE privacy_subject_key NO FORCE ROW LEVEL SECURITY");
        await owner.ExecuteAsync("UPDATE privacy_subject_key SET key = @key", new { key });
        await owner.ExecuteAsync("ALTER TABLE privacy_subject_key FORCE ROW LEVEL SECURITY");
    }

    /// <summary>What a replay could change in a database: its erasures, audit trail and recorder rows, and every blob.</summary>
    private async Task<string> StateAsync(string maintenanceConnectionString)
    {
        await using var connection = new NpgsqlConnection(maintenanceConnectionString);
        var rows = await connection.ExecuteScalarAsync<string>(
            """
            SELECT concat_ws('|',
              (SELECT string_agg(row_to_json(e)::text, ',' ORDER BY id) FROM privacy_erasures e),
              (SELECT string_agg(id::text || action, ',' ORDER BY id) FROM audit_log),
              (SELECT count(*) FROM recordings), (SELECT count(*) FROM recording_sessions), (SELECT count(*) FROM privacy_exports))
            """);
        var blobs = new List<string>();
        foreach (var container in storage.AllContainers)
        {
            await foreach (var item in data.Blobs.GetBlobContainerClient(container).GetBlobsAsync(
                new GetBlobsOptions { States = BlobStates.Snapshots }))
            {
                blobs.Add($"{container}/{item.Name}@{item.Snapshot}:{item.Properties.ETag}");
            }
        }
        return rows + "\n" + string.Join("\n", blobs.Order(StringComparer.Ordinal));
    }
}
