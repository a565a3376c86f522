using Recorder.Core.Storage;
using Recorder.Core.Tests.Migrations;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Lifecycle;

/// <summary>The operator's retention commands, run as the built <c>recorder</c> process against a database of their own.</summary>
public sealed class RetentionCliTests : IAsyncLifetime
{
    private readonly MigratedDatabase database = new();
    private StorageOptions storage = new();
    private LifecycleData data = null!;

    public async Task InitializeAsync()
    {
        await database.InitializeAsync();
        storage = await TestStorage.CreateContainersAsync();
        data = new LifecycleData(database, storage);
    }

    public Task DisposeAsync() => database.DisposeAsync();

    [Fact]
    public async Task Policies_and_holds_set_from_the_command_line_shape_what_the_dry_run_reports_and_it_writes_nothing()
    {
        var userId = await data.NewUserAsync();
        var expired = await data.InsertAsync(userId, "completed", TimeSpan.FromDays(20));
        var held = await data.InsertAsync(userId, "completed", TimeSpan.FromDays(25));
        var young = await data.InsertAsync(userId, "completed", TimeSpan.FromDays(5));

        var policy = await RunAsync("retention-policy-set", "--user", userId, "--days", "10");
        var hold = await RunAsync("legal-hold-set", "--recording", held.ToString(), "--reason", "audit 7");
        Assert.Equal((0, 0), (policy.ExitCode, hold.ExitCode));
        Assert.Contains($"Retention of user {userId}: 10 days.", policy.Output);
        var auditBefore = await data.ScalarAsync<long>("SELECT count(*) FROM audit_log");

        var dryRun = await RunAsync("retention-dry-run", "--limit", "5");

        Assert.Equal(0, dryRun.ExitCode);
        Assert.Contains("Recordings past retention: 1 (project 0, user 1, default 0)", dryRun.Output);
        Assert.Contains($"recording {expired}  user {userId}  project -  age 20 days  rule user (10 days)", dryRun.Output);
        Assert.DoesNotContain($"recording {held} ", dryRun.Output);
        Assert.DoesNotContain($"recording {young} ", dryRun.Output);
        Assert.Contains("weekly partitions to drop", dryRun.Output);
        Assert.Equal(auditBefore, await data.ScalarAsync<long>("SELECT count(*) FROM audit_log"));
        Assert.Equal("completed", await data.StatusAsync(expired));

        var lift = await RunAsync("legal-hold-clear", "--recording", held.ToString());
        var clear = await RunAsync("retention-policy-clear", "--user", userId);
        Assert.Equal((0, 0), (lift.ExitCode, clear.ExitCode));
        Assert.Equal(0, await data.ScalarAsync<int>("SELECT count(*)::int FROM retention_policies"));
        Assert.False(await data.ScalarAsync<bool>("SELECT legal_hold FROM recordings WHERE id = @held", new { held }));
    }

    [Fact]
    public async Task Bad_usage_exits_2_and_an_unknown_subject_exits_1_naming_it()
    {
        var missingDays = await RunAsync("retention-policy-set", "--user", "someone");
        var projectHold = await RunAsync("legal-hold-set", "--project", "3");
        var twoSubjects = await RunAsync("retention-policy-clear", "--user", "a", "--project", "3");
        var badNumber = await RunAsync("retention-policy-set", "--project", "x", "--days", "10");
        var unknown = await RunAsync("retention-policy-set", "--user", "nobody-here", "--days", "10");

        Assert.Equal([2, 2, 2, 2, 1], new[] { missingDays, projectHold, twoSubjects, badNumber, unknown }.Select(run => run.ExitCode));
        Assert.Contains("--days", missingDays.Output);
        Assert.Contains("User nobody-here does not exist.", unknown.Output);
        Assert.Equal(0, await data.ScalarAsync<int>("SELECT count(*)::int FROM retention_policies"));
    }

    private Task<RecorderCli.Run> RunAsync(params string[] arguments) => RecorderCli.RunAsync(new Dictionary<string, string?>
    {
        ["Database__AppConnectionString"] = database.AppConnectionString,
        ["Database__MaintenanceConnectionString"] = database.MaintenanceConnectionString,
        ["RecordingsStorage"] = TestEnvironment.StorageConnectionString,
        ["Storage__UploadsContainer"] = storage.UploadsContainer,
    }, arguments);
}
