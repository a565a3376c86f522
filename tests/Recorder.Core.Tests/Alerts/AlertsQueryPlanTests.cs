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

    [Theory]
    [InlineData(1)]
    [InlineData(24)]
    public async Task A_failure_window_counts_settled_recordings_and_reads_failure_codes_by_index_only_scans(int hours)
    {
        var plan = await data.ExplainAsync(data.Database.MaintenanceConnectionString, AlertConditions.RecordingFailuresSql, new { Hours = hours });

        Assert.True(plan.ReadsOnlyByIndexOnlyScan("recordings", "idx_recordings_created_status", alias: "settled"), plan.ToString());
        Assert.True(plan.ReadsOnlyByIndexOnlyScan("recordings", "idx_recordings_failed_created", alias: "failed"), plan.ToString());
    }
}
