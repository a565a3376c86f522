using Microsoft.Extensions.Logging;
using Recorder.Core.Data;
using Recorder.Core.Lifecycle;
using Recorder.Core.LiveUploads;

namespace Recorder.Core.Ingest;

/// <summary>
/// What one recovery run did: outbox messages sent, stuck recordings re-queued or failed, silent live recordings committed.
/// </summary>
public sealed record IngestRecoveryResult(int OutboxSent, StuckProcessingResult StuckProcessing, LiveRecoveryResult LiveUploads);

/// <summary>
/// The IngestRecoverySweep timer (every minute): sends the outbox messages a committer could not, re-queues recordings
/// whose worker died (<see cref="StuckProcessingSweep"/>) and commits live recordings whose browser went silent
/// (<see cref="LiveUploadRecovery"/>), so after any single fault a recording goes on within a lease and a run, not at the
/// next hourly sweep. Every step skips what others are doing (SKIP LOCKED), so two runs at once do no harm.
/// </summary>
public sealed class IngestRecovery(
    RecorderDataSources dataSources,
    IngestOutbox outbox,
    StuckProcessingSweep stuckProcessing,
    LiveUploadRecovery liveUploads,
    ILogger<IngestRecovery> logger)
{
    public async Task<IngestRecoveryResult> RunAsync(CancellationToken cancellationToken)
    {
        var sent = await outbox.SweepAsync(cancellationToken);
        StuckProcessingResult stuck;
        await using (var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken))
        {
            stuck = await stuckProcessing.SweepAsync(connection, cancellationToken);
        }
        if (stuck.Requeued + stuck.Failed > 0)
        {
            logger.LogWarning("Ingest recovery: {Requeued} recordings re-queued, {TimedOut} failed after their last re-queue",
                stuck.Requeued, stuck.Failed);
        }
        return new IngestRecoveryResult(sent, stuck, await liveUploads.SweepAsync(cancellationToken));
    }
}
