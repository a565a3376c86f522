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

    /// <summary>
    /// How often each kind of browser call (heartbeat, renewal, upload read) may read a recording's block list; a call
    /// sooner is a 429 (<see cref="BlockListReads"/>). Zero lets every call read.
    /// </summary>
    public TimeSpan BlockListReadInterval { get; set; } = TimeSpan.FromSeconds(5);
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
        { BlockListReadInterval.TotalSeconds: < 0 or > 60 } => ValidateOptionsResult.Fail(
            "LiveUpload:BlockListReadInterval must be from 0 to 60 seconds."),
        // A page keeps in contact with calls of one kind spaced by the interval: they must fit well within the silence.
        _ when options.BlockListReadInterval * 2 > options.SilenceTimeout => ValidateOptionsResult.Fail(
            "LiveUpload:BlockListReadInterval must be at most half LiveUpload:SilenceTimeout."),
        _ => ValidateOptionsResult.Success,
    };
}
