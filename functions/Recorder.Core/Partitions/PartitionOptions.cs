using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Recorder.Core.Partitions;

public sealed class PartitionOptions
{
    public const string SectionName = "Partitions";

    /// <summary>How many weeks of recording_sessions partitions exist ahead of the current one.</summary>
    public int WeeksAhead { get; set; } = 8;

    /// <summary>Recording sessions started longer ago than this go (whole weeks dropped, default-partition rows deleted).</summary>
    public int SessionRetentionDays { get; set; } = 30;

    /// <summary>Default-partition rows deleted per transaction.</summary>
    public int SessionBatchSize { get; set; } = 1000;

    /// <summary>Batches of default-partition rows per run; the rest waits for the next run.</summary>
    public int SessionMaxBatches { get; set; } = 50;
}

/// <summary>Refuses start-up with partition settings the timer cannot work with.</summary>
internal sealed class PartitionOptionsValidator : IValidateOptions<PartitionOptions>
{
    public ValidateOptionsResult Validate(string? name, PartitionOptions options) => options switch
    {
        { WeeksAhead: < 1 or > 104 } => ValidateOptionsResult.Fail("Partitions:WeeksAhead must be from 1 to 104."),
        // The stale-session sweep and the session lists work on the newest week: keep at least that.
        { SessionRetentionDays: < 7 } => ValidateOptionsResult.Fail("Partitions:SessionRetentionDays must be at least 7."),
        { SessionBatchSize: < 1 or > 10_000 } => ValidateOptionsResult.Fail("Partitions:SessionBatchSize must be from 1 to 10000."),
        { SessionMaxBatches: < 1 } => ValidateOptionsResult.Fail("Partitions:SessionMaxBatches must be at least 1."),
        _ => ValidateOptionsResult.Success,
    };
}

public static class PartitionServiceCollectionExtensions
{
    /// <summary>Validation of the "Partitions" settings (AddRecorderCore binds them), checked at start-up.</summary>
    public static IServiceCollection AddPartitionRetention(this IServiceCollection services)
    {
        services.AddOptions<PartitionOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PartitionOptions>, PartitionOptionsValidator>());
        return services;
    }
}
