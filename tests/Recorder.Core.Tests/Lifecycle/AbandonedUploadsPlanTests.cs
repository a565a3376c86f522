using Recorder.Core.Lifecycle;
using Recorder.Core.Tests.Fixtures;
using Xunit;

namespace Recorder.Core.Tests.Lifecycle;

/// <summary>
/// The sweep's abandoned uploads are a few rows of one status among all recordings, and usually none: they are found
/// through an index of in-flight rows (at 2 M recordings the planner takes 037's idx_recordings_abandoned_uploads, which
/// holds only them, oldest first), never by walking the table in key order or whole (5.6 s a run at 10 M recordings,
/// bench/notes/mixed-load.md).
/// </summary>
public sealed class AbandonedUploadsPlanTests(RealisticDatabase data) : IClassFixture<RealisticDatabase>
{
    [Fact]
    public async Task Abandoned_uploads_are_found_through_an_index_of_in_flight_rows_not_the_whole_table()
    {
        var plan = await data.ExplainAsync(data.Database.MaintenanceConnectionString, RecordingLifecycleSweeper.FailAbandonedSql, new
        {
            AbandonedUploadAfter = new LifecycleOptions().AbandonedUploadAfter,
            // A batch far smaller than the rows the planner expects to qualify is where a walk in key order looks cheapest
            // (it expects to stop early): at 10 M, 500 among 100 000 uploading rows; here 10 among some 400.
            BatchSize = 10,
            FailureCode = "abandoned_upload",
            FailureReason = "plan",
            ActorId = "plan",
            Action = "plan",
        });

        // The CTE's read (the UPDATE that follows finds each chosen row by its key, as alias r).
        var chosen = plan.Nodes.Where(node => node is { RelationName: "recordings", Alias: "recordings" }).ToList();
        Assert.NotEmpty(chosen);
        Assert.All(chosen, node => Assert.Contains(node.IndexName, new[] { "idx_recordings_abandoned_uploads", "idx_recordings_in_flight" }));
    }
}
