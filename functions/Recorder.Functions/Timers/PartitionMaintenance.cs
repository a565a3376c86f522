using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Partitions;

namespace Recorder.Functions.Timers;

/// <summary>
/// Creates recording_sessions partitions ahead of time and drops expired weeks (schedule: setting PartitionMaintenanceSchedule).
/// </summary>
public sealed class PartitionMaintenance(PartitionMaintenanceService partitions)
{
    [Function(nameof(PartitionMaintenance))]
    public Task Run([TimerTrigger("%PartitionMaintenanceSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
        => partitions.RunAsync(cancellationToken);
}
