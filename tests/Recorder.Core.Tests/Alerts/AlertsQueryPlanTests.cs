using Recorder.Core.Alerts;
using Recorder.Core.Recordings;
using Recorder.Core.Tests.Fixtures;
using Xunit;

namespace Recorder.Core.Tests.Alerts;

/// <summary>
/// The AlertsCheck statements read across all users every few minutes: storage from the per-user usage rows, never the
/// recordings; the failure windows through an index, index-only. The planner chooses freely, on realistic statistics, for
/// the statements AlertConditions runs, as recorder_maintenance.
/// </summary>
public sealed class AlertsQueryPlanTests(RealisticDatabase data) : IClassFixture<RealisticDatabase>
{
    [Fact]
    public async Task The_storage_pass_over_all_users_reads_their_usage_rows_and_no_recording()
    {
        var plan = await data.ExplainAsync(data.Database.MaintenanceConnectionString, AlertConditions.StorageSql, new
        {
            WarningPercent = new AlertsOptions().StorageWarningPercent,
            new RecordingsOptions().DefaultStorageLimitBytes,
        });

        Assert.DoesNotContain(plan.Nodes, node => node.RelationName == "recordings");
        Assert.Contains(plan.Nodes, node => node.RelationName == "user_storage_usage");
    }

    [Fact]
    public async Task The_failure_windows_count_settled_recordings_by_an_index_only_scan_of_creation_time()
    {
        var plan = await data.ExplainAsync(data.Database.MaintenanceConnectionString, AlertConditions.RecordingFailuresSql, new
        {
            Names = AlertWindow.All.Select(window => window.Name).ToArray(),
            Hours = AlertWindow.All.Select(window => window.Hours).ToArray(),
        });

        Assert.True(plan.ReadsOnlyByIndexOnlyScan("recordings", "idx_recordings_created_status", alias: "r"), plan.ToString());
    }
}
