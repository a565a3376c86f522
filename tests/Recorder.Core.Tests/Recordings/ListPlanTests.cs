using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Api;
using Recorder.Core.Data;
using Recorder.Core.Recordings;
using Recorder.Core.Security;
using Recorder.Core.Storage;
using Recorder.Core.Tests.Fixtures;
using Recorder.Core.Tests.Lifecycle;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Recordings;

/// <summary>
/// A list page's best plan depends on whose page it is, so its prepared statement is planned for each request: PostgreSQL's
/// plan cache would otherwise settle on a generic plan after five executions, one that sorts all of a heavy user's rows.
/// </summary>
public sealed class ListPlanTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>
{
    private const string UserId = "list-plan-user";

    [Fact]
    public async Task The_list_statement_is_planned_for_each_request_never_on_its_generic_plan()
    {
        await database.AddUserAsync(UserId);
        await using (var maintenance = await database.OpenMaintenanceAsync())
        {
            await maintenance.ExecuteAsync("""
                INSERT INTO recordings (user_id, title, recording_type, file_size, mime_type, blob_name, status)
                SELECT @UserId, 'Take ' || n, 'camera', 10, 'video/webm', 'list-plan-user/' || n || '/a.webm', 'completed'
                FROM generate_series(1, 30) AS n
                """, new { UserId });
        }
        // One connection in the app's pool, so every request prepares and runs the statement on the same session.
        await using var services = new LifecycleHarness(database, new StorageOptions(), "list-plan").Build(settings:
            new Dictionary<string, string?> { ["Database:AppConnectionString"] = database.AppConnectionString + ";Maximum Pool Size=1" });
        var recordings = services.GetRequiredService<RecordingsService>();
        var caller = new Caller(UserId, RecordingScopes.All, Caller.SessionMethod);

        for (var request = 0; request < 15; request++)
        {
            var page = await recordings.ListAsync(caller, new RecordingListQuery(20, null, null, null, null, null), RequestInfo.None, default);
            Assert.Equal(20, page.Value!.Items.Count);
        }

        await using var connection = await services.GetRequiredService<RecorderDataSources>().App.OpenConnectionAsync();
        var plans = await connection.QuerySingleAsync<(long Generic, long Custom)>(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE 'WITH page AS%'");
        // Prepared after its first uses (Npgsql's auto-preparation), then planned at each execution: more than the five
        // custom plans after which PostgreSQL would weigh the generic one.
        Assert.Equal(0, plans.Generic);
        Assert.True(plans.Custom > 5, $"{plans.Custom} custom plans");
    }
}
