using System.Globalization;
using Recorder.Core.Api;

namespace Recorder.Core.LiveUploads;

/// <summary>Why the blocks the server would commit end where they do (<c>stoppedBy</c> in the API and the recovery's record).</summary>
public static class LiveStops
{
    /// <summary>Every block with a contract id is taken.</summary>
    public const string End = "end";

    /// <summary>A sequence number is missing: later blocks cannot be played without it.</summary>
    public const string Gap = "gap";

    public const string MaxBlocks = "maxBlocks";
    public const string MaxFileSize = "maxFileSize";
    public const string Quota = "quota";
}

/// <summary>The blocks the server would commit, in recording order, and why they end there.</summary>
/// <param name="IgnoredBlocks">Uncommitted blocks whose id does not follow <see cref="LiveBlockId"/>: never committed.</param>
public sealed record LivePlan(IReadOnlyList<StagedBlock> Blocks, long Bytes, string StoppedBy, int IgnoredBlocks);

/// <summary>
/// What a live recording may hold: at most <paramref name="MaxBlocks"/> blocks, <paramref name="MaxFileSizeBytes"/> bytes,
/// and what fits in the owner's storage beside their other recordings. The one rule every live path applies: a renewal or
/// heartbeat past it is refused (<see cref="Refusal"/>), and the server commits only what fits (<see cref="Plan"/>).
/// </summary>
public sealed record LiveLimits(int MaxBlocks, long MaxFileSizeBytes, long OthersBytes, long LimitBytes)
{
    /// <summary>The longest run of uncommitted blocks 000000, 000001, … within the limits: what the server commits.</summary>
    public LivePlan Plan(StagedBlocks staged)
    {
        var taken = new List<StagedBlock>();
        var bytes = 0L;
        var stoppedBy = LiveStops.End;
        foreach (var block in staged.Blocks.Where(block => !block.Committed && block.Sequence is not null))
        {
            stoppedBy = block.Sequence != taken.Count ? LiveStops.Gap
                : taken.Count == MaxBlocks ? LiveStops.MaxBlocks
                : bytes + block.Size > MaxFileSizeBytes ? LiveStops.MaxFileSize
                : OthersBytes + bytes + block.Size > LimitBytes ? LiveStops.Quota
                : LiveStops.End;
            if (stoppedBy != LiveStops.End)
            {
                break;
            }
            taken.Add(block);
            bytes += block.Size;
        }
        return new LivePlan(taken, bytes, stoppedBy, staged.Blocks.Count(block => !block.Committed && block.Sequence is null));
    }

    /// <summary>Null while what storage holds is within the limits; else the 413 that stops the upload, with the numbers.</summary>
    public Failure? Refusal(long recordingId, StagedBlocks staged)
    {
        var (exceeded, why) = staged.Count > MaxBlocks
            ? (LiveStops.MaxBlocks, string.Create(CultureInfo.InvariantCulture,
                $"{staged.Count} blocks, more than the {MaxBlocks} a recording may have (stage larger blocks)"))
            : staged.Bytes > MaxFileSizeBytes
                ? (LiveStops.MaxFileSize, string.Create(CultureInfo.InvariantCulture,
                    $"{staged.Bytes} bytes, more than the {MaxFileSizeBytes} a recording may have"))
                : OthersBytes + staged.Bytes > LimitBytes
                    ? (LiveStops.Quota, string.Create(CultureInfo.InvariantCulture, $"{staged.Bytes} bytes, more than fits in your " +
                        $"storage ({OthersBytes} of {LimitBytes} bytes are in use by your other recordings)"))
                    : (null, null);
        if (exceeded is null)
        {
            return null;
        }
        var plan = Plan(staged);
        return new Failure(FailureKind.PayloadTooLarge,
            string.Create(CultureInfo.InvariantCulture, $"Live recording {recordingId} has {why}: stop and commit what fits."),
            Extensions: new Dictionary<string, object?>
            {
                ["exceeded"] = exceeded,
                ["usedBytes"] = OthersBytes,
                ["limitBytes"] = LimitBytes,
                ["requestedBytes"] = staged.Bytes,
                ["stagedBlocks"] = staged.Count,
                ["recoverableBlocks"] = plan.Blocks.Count,
                ["recoverableBytes"] = plan.Bytes,
            });
    }
}
