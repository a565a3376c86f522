using Microsoft.Extensions.Options;

namespace Recorder.Core.Privacy;

/// <summary>Data exports and erasure (section "Privacy").</summary>
public sealed class PrivacyOptions
{
    public const string SectionName = "Privacy";

    /// <summary>How long an export stays downloadable; the privacy sweep deletes it afterwards.</summary>
    public TimeSpan ExportLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>An export still not built this long after its request has failed (its worker died or gave up).</summary>
    public TimeSpan ExportBuildTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long one worker holds an export before another may take it over.</summary>
    public TimeSpan ExportLease { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// After an erasure removed the rows, how long the sweep keeps clearing the user's storage before the erasure
    /// forgets the user id: ingest work already running (thumbnails, seekable copies) may still write a blob.
    /// </summary>
    public TimeSpan ErasureGracePeriod { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Rows per batch (one transaction each) in the sweep and the erasure.</summary>
    public int BatchSize { get; set; } = 100;
}

/// <summary>Refuses start-up with settings exports and erasure cannot work with.</summary>
internal sealed class PrivacyOptionsValidator : IValidateOptions<PrivacyOptions>
{
    public ValidateOptionsResult Validate(string? name, PrivacyOptions options) => options switch
    {
        { ExportLifetime.TotalMinutes: < 10 } => ValidateOptionsResult.Fail("Privacy:ExportLifetime must be at least 10 minutes."),
        { ExportBuildTimeout.TotalMinutes: < 1 } => ValidateOptionsResult.Fail("Privacy:ExportBuildTimeout must be at least one minute."),
        { ExportLease.TotalMinutes: < 1 } => ValidateOptionsResult.Fail("Privacy:ExportLease must be at least one minute."),
        { ErasureGracePeriod.Ticks: < 0 } => ValidateOptionsResult.Fail("Privacy:ErasureGracePeriod must not be negative."),
        { BatchSize: < 1 or > 10_000 } => ValidateOptionsResult.Fail("Privacy:BatchSize must be from 1 to 10000."),
        _ => ValidateOptionsResult.Success,
    };
}
