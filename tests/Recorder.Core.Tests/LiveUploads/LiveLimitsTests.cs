using System.Text;
using Recorder.Core.Api;
using Recorder.Core.LiveUploads;
using Xunit;

namespace Recorder.Core.Tests.LiveUploads;

/// <summary>The block-id contract and the one rule of what a live recording may hold and what the server commits of it.</summary>
public sealed class LiveLimitsTests
{
    [Theory]
    [InlineData(0, "block-000000")]
    [InlineData(42, "block-000042")]
    [InlineData(999_999, "block-999999")]
    public void Block_ids_are_base64_of_a_fixed_width_sequence_number(int sequence, string text)
    {
        var id = LiveBlockId.Format(sequence);

        Assert.Equal(Convert.ToBase64String(Encoding.ASCII.GetBytes(text)), id);
        Assert.Equal(sequence, LiveBlockId.SequenceOf(id));
    }

    [Theory]
    [InlineData("block-00001")]    // one digit short
    [InlineData("block-0000001")]  // one digit more
    [InlineData("block-00000a")]
    [InlineData("Block-000001")]
    [InlineData("chunk-000001")]
    [InlineData("block-000001\n")]
    public void Ids_of_another_form_have_no_sequence_number(string text)
        => Assert.Null(LiveBlockId.SequenceOf(Convert.ToBase64String(Encoding.ASCII.GetBytes(text))));

    [Theory]
    [InlineData("not base64!")]
    [InlineData("YmxvY2stMDAwMDAx==")] // block-000001 with padding it does not need
    public void An_id_that_is_not_canonical_base64_has_no_sequence_number(string id) => Assert.Null(LiveBlockId.SequenceOf(id));

    [Fact]
    public void The_plan_takes_blocks_in_sequence_order_up_to_the_first_gap()
    {
        var staged = Staged((2, 10), (0, 10), (1, 10), (4, 10), (5, 10));

        var plan = Limits().Plan(staged);

        Assert.Equal([0, 1, 2], plan.Blocks.Select(block => block.Sequence!.Value));
        Assert.Equal((30L, LiveStops.Gap), (plan.Bytes, plan.StoppedBy));
    }

    [Theory]
    [InlineData(2, long.MaxValue, long.MaxValue, 2, LiveStops.MaxBlocks)]
    [InlineData(10, 25, long.MaxValue, 2, LiveStops.MaxFileSize)]
    [InlineData(10, long.MaxValue, 1_000_025, 2, LiveStops.Quota)] // 1,000,000 bytes of other recordings
    [InlineData(10, 40, 1_000_040, 4, LiveStops.End)]
    public void The_plan_stops_at_the_first_limit_it_meets(int maxBlocks, long maxFileSize, long limit, int taken, string stoppedBy)
    {
        var plan = new LiveLimits(maxBlocks, maxFileSize, 1_000_000, limit).Plan(Staged((0, 10), (1, 10), (2, 10), (3, 10)));

        Assert.Equal((taken, stoppedBy), (plan.Blocks.Count, plan.StoppedBy));
    }

    [Fact]
    public void A_block_without_a_sequence_number_is_counted_as_ignored_never_planned()
    {
        var foreign = new StagedBlock(Convert.ToBase64String("chunk-000001"u8.ToArray()), 10, Committed: false);
        var staged = new StagedBlocks([Block(0, 10), foreign], Committed: false);

        var plan = Limits().Plan(staged);

        Assert.Equal((1, 1, LiveStops.End), (plan.Blocks.Count, plan.IgnoredBlocks, plan.StoppedBy));
    }

    [Fact]
    public void Staged_bytes_over_the_quota_are_refused_with_the_numbers_and_what_fits()
    {
        var refusal = new LiveLimits(100, long.MaxValue, 900, 1_000).Refusal(7, Staged((0, 40), (1, 40), (2, 40)));

        Assert.NotNull(refusal);
        Assert.Equal(FailureKind.PayloadTooLarge, refusal.Kind);
        Assert.Equal(LiveStops.Quota, refusal.Extensions!["exceeded"]);
        Assert.Equal((900L, 1_000L, 120L), ((long)refusal.Extensions["usedBytes"]!, (long)refusal.Extensions["limitBytes"]!,
            (long)refusal.Extensions["requestedBytes"]!));
        Assert.Equal((2, 80L), ((int)refusal.Extensions["recoverableBlocks"]!, (long)refusal.Extensions["recoverableBytes"]!));
    }

    [Fact]
    public void Staged_bytes_within_every_limit_are_not_refused()
        => Assert.Null(new LiveLimits(3, 120, 880, 1_000).Refusal(7, Staged((0, 40), (1, 40), (2, 40))));

    private static LiveLimits Limits() => new(100, long.MaxValue, 0, long.MaxValue);

    private static StagedBlocks Staged(params (int Sequence, long Size)[] blocks)
        => new([.. blocks.Select(block => Block(block.Sequence, block.Size)).OrderBy(block => block.Sequence)], Committed: false);

    private static StagedBlock Block(int sequence, long size) => new(LiveBlockId.Format(sequence), size, Committed: false);
}
