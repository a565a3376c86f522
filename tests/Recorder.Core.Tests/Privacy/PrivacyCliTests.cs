using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using Dapper;
using Recorder.Core.Storage;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Privacy;

/// <summary><c>recorder export-user</c> and <c>recorder erase-user</c> run as processes over a database and containers of their own.</summary>
public sealed class PrivacyCliTests : IAsyncLifetime
{
    private readonly MigratedDatabase database = new();
    private StorageOptions storage = new();
    private PrivacyTestData data = null!;
    private string workDirectory = "";

    public async Task InitializeAsync()
    {
        await database.InitializeAsync();
        storage = await TestStorage.CreateContainersAsync();
        data = new PrivacyTestData(database, storage);
        workDirectory = Directory.CreateTempSubdirectory("recorder-privacy-cli-").FullName;
    }

    public async Task DisposeAsync()
    {
        Directory.Delete(workDirectory, recursive: true);
        await database.DisposeAsync();
    }

    [Fact]
    public async Task Export_user_writes_the_users_zip_with_a_progress_bar_and_a_summary()
    {
        var userId = await data.NewUserAsync();
        var otherId = await data.NewUserAsync();
        var id = await data.SeedAsync(userId);
        await data.SeedAsync(otherId);
        var zipPath = Path.Combine(workDirectory, "export.zip");

        var run = await RunAsync("export-user", "--user", userId, "--out", zipPath);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("export [", run.Output, StringComparison.Ordinal);
        Assert.Contains($"Exported user {userId} to {zipPath}: 1 recordings", run.Output, StringComparison.Ordinal);
        using var zip = ZipFile.OpenRead(zipPath);
        Assert.Contains($"media/{id}/seekable.webm", zip.Entries.Select(entry => entry.FullName));
        Assert.Contains($"thumbnails/{id}/thumbnail.jpg", zip.Entries.Select(entry => entry.FullName));
        using (var reader = new StreamReader(zip.GetEntry("data/recordings.json")!.Open()))
        {
            var recordings = JsonDocument.Parse(await reader.ReadToEndAsync()).RootElement;
            Assert.Equal([userId], recordings.EnumerateArray().Select(row => row.GetProperty("user_id").GetString()));
        }
        foreach (var entry in zip.Entries)
        {
            using var reader = new StreamReader(entry.Open());
            Assert.DoesNotContain(otherId, await reader.ReadToEndAsync(), StringComparison.Ordinal);
        }

        var again = await RunAsync("export-user", "--user", userId, "--out", zipPath);
        Assert.Equal(2, again.ExitCode);
    }

    [Fact]
    public async Task Erase_user_needs_the_confirmation_then_erases_with_a_progress_bar_and_a_summary()
    {
        var userId = await data.NewUserAsync();
        await data.SeedAsync(userId);

        var refused = await RunAsync("erase-user", "--user", userId);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains($"--confirm {userId}", refused.Output, StringComparison.Ordinal);
        var wrong = await RunAsync("erase-user", "--user", userId, "--confirm", "someone-else");
        Assert.Equal(2, wrong.ExitCode);
        Assert.NotEmpty(await data.BlobsOfAsync(userId));

        var run = await RunAsync("erase-user", "--user", userId, "--confirm", userId);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("erase [", run.Output, StringComparison.Ordinal);
        Assert.Contains("(completed): 1 recordings, 1 sessions, 1 edits, 1 exports", run.Output, StringComparison.Ordinal);
        Assert.Empty(await data.BlobsOfAsync(userId));
        Assert.Equal(0, await data.RowsNamingAsync(userId));
        await using var connection = await data.OpenMaintenanceAsync();
        Assert.Equal("operator", await connection.ExecuteScalarAsync<string>("SELECT details ->> 'requestedBy' FROM audit_log WHERE action = 'privacy.erasure'"));
    }

    [Fact]
    public async Task Replay_erasures_is_listed_in_help_needs_a_time_and_reports_its_progress_and_what_it_found()
    {
        var help = await RunAsync("help");
        Assert.Contains("replay-erasures", help.Output, StringComparison.Ordinal);
        Assert.Equal(2, (await RunAsync("replay-erasures")).ExitCode);
        Assert.Equal(2, (await RunAsync("replay-erasures", "--since", "yesterday")).ExitCode);
        var userId = await data.NewUserAsync();
        await data.SeedAsync(userId);
        var since = DateTimeOffset.UtcNow.AddMinutes(-1);
        Assert.Equal(0, (await RunAsync("erase-user", "--user", userId, "--confirm", userId)).ExitCode);

        var run = await RunAsync("replay-erasures", "--since", since.ToString("O"));

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("replay [", run.Output, StringComparison.Ordinal);
        Assert.Contains("1 erasures; 0 applied again, 1 already in this database", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("user")]
    [InlineData("recording")]
    public async Task Erase_user_is_refused_with_exit_1_under_a_legal_hold_and_erases_nothing(string hold)
    {
        var userId = await data.NewUserAsync();
        var id = await data.SeedAsync(userId);
        await using (var maintenance = new Npgsql.NpgsqlConnection(database.MaintenanceConnectionString))
        {
            await maintenance.ExecuteAsync(hold == "user"
                ? "INSERT INTO user_legal_holds (user_id, reason) VALUES (@userId, 'litigation 7')"
                : "UPDATE recordings SET legal_hold = true WHERE id = @id", new { userId, id });
        }
        var blobs = await data.BlobsOfAsync(userId);

        var run = await RunAsync("erase-user", "--user", userId, "--confirm", userId);

        Assert.True(run.ExitCode == 1, run.Output);
        Assert.Contains("legal hold", run.Output, StringComparison.Ordinal);
        Assert.Contains("Art. 17(3)(e)", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Erasure ", run.Output, StringComparison.Ordinal);
        Assert.Equal(blobs.Order(StringComparer.Ordinal), (await data.BlobsOfAsync(userId)).Order(StringComparer.Ordinal));
        await using var connection = await data.OpenMaintenanceAsync();
        Assert.Equal("completed", await connection.ExecuteScalarAsync<string>("SELECT status FROM recordings WHERE id = @id", new { id }));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM privacy_erasures"));
    }

    private async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workDirectory };
        start.ArgumentList.Add(Path.Combine(TestEnvironment.ProjectOutput("Recorder.Cli"), "recorder.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["Database__AppConnectionString"] = database.AppConnectionString;
        start.Environment["Database__MaintenanceConnectionString"] = database.MaintenanceConnectionString;
        start.Environment["RecordingsStorage"] = TestEnvironment.StorageConnectionString;
        start.Environment["Storage__UploadsContainer"] = storage.UploadsContainer;
        start.Environment["Storage__ProcessedContainer"] = storage.ProcessedContainer;
        start.Environment["Storage__ThumbnailsContainer"] = storage.ThumbnailsContainer;
        start.Environment["Storage__ExportsContainer"] = storage.ExportsContainer;
        start.Environment["Storage__DeadLetterContainer"] = storage.DeadLetterContainer;
        start.Environment["Storage__ErasureLedgerContainer"] = storage.ErasureLedgerContainer;
        // The CLI's erasure forgets the user at once here; the default grace period leaves that to the privacy sweep.
        start.Environment["Privacy__ErasureGracePeriod"] = "00:00:00";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }
}
