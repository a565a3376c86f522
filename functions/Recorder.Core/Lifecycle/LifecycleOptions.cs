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

    /// <summary>
    /// Recordings per batch (one transaction each). Each step's database work is a few statements per batch,
    /// whatever its size; the blobs of a batch are deleted 16 at a time while its rows stay locked.
    /// </summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>Batches per step and run; what is left waits for the next run.</summary>
    public int MaxBatches { get; set; } = 50;

    /// <summary>
    /// A recording 'processing' this long (since it was queued or last re-queued) with no live worker lease is re-queued.
    /// </summary>
    public TimeSpan StuckProcessingAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Re-queues of a stuck recording before it fails with <c>processing_timeout</c>.</summary>
    public int MaxProcessingRequeues { get; set; } = 3;

    /// <summary>A blob in the uploads container this old that no recording accounts for is reconciled (ingested or quarantined).</summary>
    public TimeSpan ReconcileAfter { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Blobs per listing page of the reconciliation.</summary>
    public int ReconcilePageSize { get; set; } = 500;

    /// <summary>Listing pages per run; the next run goes on from where this one stopped.</summary>
    public int ReconcileMaxPages { get; set; } = 20;
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
        // Shorter would re-queue recordings a healthy worker is still probing (Ingest:LeaseDuration guards the claim too).
        { StuckProcessingAfter.TotalMinutes: < 5 } => ValidateOptionsResult.Fail(
            "Lifecycle:StuckProcessingAfter must be at least five minutes."),
        { MaxProcessingRequeues: < 0 or > 100 } => ValidateOptionsResult.Fail("Lifecycle:MaxProcessingRequeues must be from 0 to 100."),
        // Shorter would race Event Grid's own delivery of a blob that was just committed.
        { ReconcileAfter.TotalMinutes: < 15 } => ValidateOptionsResult.Fail("Lifecycle:ReconcileAfter must be at least 15 minutes."),
        { ReconcilePageSize: < 1 or > 5_000 } => ValidateOptionsResult.Fail("Lifecycle:ReconcilePageSize must be from 1 to 5000."),
        { ReconcileMaxPages: < 1 } => ValidateOptionsResult.Fail("Lifecycle:ReconcileMaxPages must be at least 1."),
        _ => ValidateOptionsResult.Success,
    };
}
