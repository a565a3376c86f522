using Microsoft.Extensions.Options;

namespace Recorder.Core.Sessions;

/// <summary>Limits of the recording sessions API and the stale-session sweep (section "Sessions").</summary>
public sealed class SessionOptions
{
    public const string SectionName = "Sessions";

    /// <summary>An active session without a heartbeat for this long is interrupted by the sweep.</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Sessions the sweep interrupts per statement (one transaction each).</summary>
    public int SweepBatchSize { get; set; } = 500;

    /// <summary>Batches per sweep run; what is left waits for the next run.</summary>
    public int SweepMaxBatches { get; set; } = 20;

    /// <summary>Largest serialized <c>settings</c> and <c>deviceInfo</c> object, each.</summary>
    public int MaxJsonBytes { get; set; } = 16 * 1024;

    /// <summary>Longest recording a session may report (24 hours).</summary>
    public decimal MaxDurationSeconds { get; set; } = 24 * 60 * 60;

    public int ListDefaultLimit { get; set; } = 20;

    public int ListMaxLimit { get; set; } = 100;

    /// <summary>The statistics window when the caller names none.</summary>
    public TimeSpan StatsDefaultWindow { get; set; } = TimeSpan.FromDays(7);

    public TimeSpan StatsMaxWindow { get; set; } = TimeSpan.FromDays(366);
}

/// <summary>Refuses start-up with settings the sessions API or the sweep cannot work with.</summary>
internal sealed class SessionOptionsValidator : IValidateOptions<SessionOptions>
{
    public ValidateOptionsResult Validate(string? name, SessionOptions options) => options switch
    {
        { StaleAfter.TotalSeconds: < 10 } => ValidateOptionsResult.Fail("Sessions:StaleAfter must be at least 10 seconds."),
        { SweepBatchSize: < 1 or > 10_000 } => ValidateOptionsResult.Fail("Sessions:SweepBatchSize must be from 1 to 10000."),
        { SweepMaxBatches: < 1 } => ValidateOptionsResult.Fail("Sessions:SweepMaxBatches must be at least 1."),
        // The request body (JsonRequest.MaxBodyBytes) must be able to carry both objects.
        { MaxJsonBytes: < 2 or > 30 * 1024 } => ValidateOptionsResult.Fail("Sessions:MaxJsonBytes must be from 2 to 30720."),
        { MaxDurationSeconds: <= 0 or >= 10_000_000 } => ValidateOptionsResult.Fail(
            "Sessions:MaxDurationSeconds must be positive and below 10000000 (NUMERIC(10,3))."),
        { ListDefaultLimit: < 1 }
            or { ListMaxLimit: < 1 } => ValidateOptionsResult.Fail("Sessions:ListDefaultLimit and Sessions:ListMaxLimit must be positive."),
        _ when options.ListDefaultLimit > options.ListMaxLimit => ValidateOptionsResult.Fail(
            "Sessions:ListDefaultLimit must not exceed Sessions:ListMaxLimit."),
        _ when options.StatsDefaultWindow <= TimeSpan.Zero || options.StatsDefaultWindow > options.StatsMaxWindow
            => ValidateOptionsResult.Fail("Sessions:StatsDefaultWindow must be positive and at most Sessions:StatsMaxWindow."),
        _ => ValidateOptionsResult.Success,
    };
}
