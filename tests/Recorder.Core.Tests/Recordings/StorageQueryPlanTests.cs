using Recorder.Core.Recordings;
using Recorder.Core.Tests.Fixtures;
using Xunit;

namespace Recorder.Core.Tests.Recordings;

/// <summary>
/// Storage in use is read on every upload (the quota check) and by GET /api/me/storage: the quota's total is one row of
/// user_storage_usage (migration 034), and the by-type sum must be index-only, whatever the user's number of recordings
/// (bench/results/database.md measured the by-type sum at 470 ms for 100 000 recordings when it fell back to the heap).
/// The planner chooses freely, on realistic statistics, for the statements the app runs, as the role that runs them.
/// </summary>
public sealed class StorageQueryPlanTests(RealisticDatabase data) : IClassFixture<RealisticDatabase>
{
    private const string Index = "idx_recordings_user_live_type_size";

    [Fact]
    public async Task A_users_total_reads_no_recording_and_usage_by_type_is_an_index_only_scan_of_one_index()
    {
        foreach (var user in new[] { await data.HeaviestUserAsync(), await data.MedianUserAsync() })
        {
            var total = await data.ExplainAsync(data.Database.AppConnectionString, StorageQuota.UsageSql, new { UserId = user },
                userId: user);
            Assert.DoesNotContain(total.Nodes, node => node.RelationName == "recordings");
            Assert.Contains(total.Nodes, node => node.RelationName == "user_storage_usage");
            var byType = await data.ExplainAsync(data.Database.AppConnectionString, StorageQuota.UsageByTypeSql, new { UserId = user },
                userId: user);
            Assert.True(byType.ReadsOnlyByIndexOnlyScan("recordings", Index), $"{user}: {StorageQuota.UsageByTypeSql}\n{byType}");
        }
    }
}
