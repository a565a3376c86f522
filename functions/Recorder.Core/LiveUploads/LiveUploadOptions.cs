using Microsoft.Extensions.Options;

namespace Recorder.Core.LiveUploads;

/// <summary>Live uploads and their recovery (section "LiveUpload"; docs/ingest.md, "Live uploads").</summary>
public sealed class LiveUploadOptions
{
    public const string SectionName = "LiveUpload";

    /// <summary>A live recording whose browser has not been in contact for this long is committed by the server.</summary>
    public TimeSpan SilenceTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Blocks a live recording may stage; the server commits at most this many. Storage allows 50,000 committed.</summary>
    public int MaxBlocks { get; set; } = StagedBlocks.MaxCommittedBlocks;

    /// <summary>Silent live recordings one recovery run looks at; the rest wait for the next run (a minute later).</summary>
    public int SweepBatchSize { get; set; } = 100;
}

/// <summary>Refuses start-up with settings live uploads cannot work with.</summary>
internal sealed class LiveUploadOptionsValidator : IValidateOptions<LiveUploadOptions>
{
    public ValidateOptionsResult Validate(string? name, LiveUploadOptions options) => options switch
    {
        // Longer would let storage discard uncommitted blocks (after 7 days) before the server commits them.
        { SilenceTimeout.TotalSeconds: < 1 } or { SilenceTimeout.TotalDays: > 1 } => ValidateOptionsResult.Fail(
            "LiveUpload:SilenceTimeout must be from 1 second to 1 day."),
        { MaxBlocks: < 1 or > StagedBlocks.MaxCommittedBlocks } => ValidateOptionsResult.Fail(
            $"LiveUpload:MaxBlocks must be from 1 to {StagedBlocks.MaxCommittedBlocks} (storage's limit of committed blocks)."),
        { SweepBatchSize: < 1 or > 1000 } => ValidateOptionsResult.Fail("LiveUpload:SweepBatchSize must be from 1 to 1000."),
        _ => ValidateOptionsResult.Success,
    };
}
