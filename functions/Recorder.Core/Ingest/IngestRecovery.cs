using Microsoft.Extensions.Logging;
using Recorder.Core.Data;
using Recorder.Core.Lifecycle;

namespace Recorder.Core.Ingest;

/// <summary>What one recovery run did: outbox messages sent, stuck recordings re-queued or failed.</summary>
public sealed record IngestRecoveryResult(int OutboxSent, StuckProcessingResult StuckProcessing);

/// <summary>
/// The IngestRecoverySweep timer (every minute): sends the outbox messages a committer could not, and re-queues
/// recordings whose worker died (<see cref="StuckProcessingSweep"/>), so after any single fault a recording
/// goes on within a lease and a run, not at the next hourly sweep. Both steps skip what others are doing
/// (SKIP LOCKED), so two runs at once do no harm.
/// </summary>
public sealed class IngestRecovery(
    RecorderDataSources dataSources, IngestOutbox outbox, StuckProcessingSweep stuckProcessing, ILogger<IngestRecovery> logger)
{
    public async Task<IngestRecoveryResult> RunAsync(CancellationToken cancellationToken)
    {
        var sent = await outbox.SweepAsync(cancellationToken);
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        var stuck = await stuckProcessing.SweepAsync(connection, cancellationToken);
        if (stuck.Requeued + stuck.Failed > 0)
        {
            logger.LogWarning("Ingest recovery: {Requeued} recordings re-queued, {TimedOut} failed after their last re-queue",
                stuck.Requeued, stuck.Failed);
        }
        return new IngestRecoveryResult(sent, stuck);
    }
}
