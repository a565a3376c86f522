using Recorder.Core.Recordings;
using Recorder.Core.Tests.Fixtures;
using Xunit;

namespace Recorder.Core.Tests.Recordings;

/// <summary>
/// Storage in use is read on every upload (the quota check) and by GET /api/me/storage: both per-user sums
/// must be index-only, whatever the user's number of recordings (bench/results/database.md measured the
/// by-type sum at 470 ms for 100 000 recordings when it fell back to the heap). The planner chooses freely,
/// on realistic statistics, for the statements the app runs, as the role that runs them.
/// </summary>
public sealed class StorageQueryPlanTests(RealisticDatabase data) : IClassFixture<RealisticDatabase>
{
    private const string Index = "idx_recordings_user_live_type_size";

    [Fact]
    public async Task A_users_total_and_by_type_usage_are_index_only_scans_of_one_index()
    {
        foreach (var user in new[] { await data.HeaviestUserAsync(), await data.MedianUserAsync() })
        {
            foreach (var sql in new[] { StorageQuota.UsageSql, StorageQuota.UsageByTypeSql })
            {
                var plan = await data.ExplainAsync(data.Database.AppConnectionString, sql, new { UserId = user }, userId: user);
                Assert.True(plan.ReadsOnlyByIndexOnlyScan("recordings", Index), $"{user}: {sql}\n{plan}");
            }
        }
    }
}
