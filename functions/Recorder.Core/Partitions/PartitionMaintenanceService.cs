using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recorder.Core.Data;

namespace Recorder.Core.Partitions;

/// <summary>
/// Keeps weekly partitions of recording_sessions created ahead of time, so rows land in their own
/// week rather than the default partition (docs/architecture.md, "Partitioning").
/// </summary>
public sealed class PartitionMaintenanceService(RecorderDataSources dataSources, IOptions<PartitionOptions> options, ILogger<PartitionMaintenanceService> logger)
{
    private const string EnsureSql = "SELECT recorder_ensure_weekly_partitions('recording_sessions'::regclass, @WeeksAhead)";

    public async Task<int> EnsurePartitionsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        var created = await connection.ExecuteScalarAsync<int>(new CommandDefinition(EnsureSql, new { options.Value.WeeksAhead }, cancellationToken: cancellationToken));
        logger.LogInformation("Partition maintenance created {Created} recording_sessions partitions ({WeeksAhead} weeks ahead)", created, options.Value.WeeksAhead);
        return created;
    }
}
