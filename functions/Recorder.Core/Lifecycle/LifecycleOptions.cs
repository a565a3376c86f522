using Microsoft.Extensions.Options;

namespace Recorder.Core.Lifecycle;

/// <summary>Retention, abandoned uploads and the finishing of deletions (section "Lifecycle").</summary>
public sealed class LifecycleOptions
{
    public const string SectionName = "Lifecycle";

    /// <summary>Completed recordings older than this many days (by created_at) are deleted.</summary>
    public int RetentionDays { get; set; } = 365;

    /// <summary>A recording still 'uploading' this long after its upload URL was issued fails as abandoned.</summary>
    public TimeSpan AbandonedUploadAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Recordings per batch (one transaction each).</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>Batches per step and run; what is left waits for the next run.</summary>
    public int MaxBatches { get; set; } = 50;
}

/// <summary>Refuses start-up with settings the lifecycle sweep cannot work with.</summary>
internal sealed class LifecycleOptionsValidator : IValidateOptions<LifecycleOptions>
{
    public ValidateOptionsResult Validate(string? name, LifecycleOptions options) => options switch
    {
        { RetentionDays: < 1 } => ValidateOptionsResult.Fail("Lifecycle:RetentionDays must be at least 1."),
        // Shorter would fail uploads whose URL (Sas:UploadUrlLifetime) may still be in use.
        { AbandonedUploadAfter.TotalHours: < 1 } => ValidateOptionsResult.Fail("Lifecycle:AbandonedUploadAfter must be at least one hour."),
        { BatchSize: < 1 or > 10_000 } => ValidateOptionsResult.Fail("Lifecycle:BatchSize must be from 1 to 10000."),
        { MaxBatches: < 1 } => ValidateOptionsResult.Fail("Lifecycle:MaxBatches must be at least 1."),
        _ => ValidateOptionsResult.Success,
    };
}
