using Recorder.Core.Media.Webm;
using Xunit;

namespace Recorder.Core.Tests.Media.Webm;

public sealed class EbmlTests
{
    [Theory]
    [InlineData(0x80, 1)]
    [InlineData(0x40, 2)]
    [InlineData(0x7F, 2)]
    [InlineData(0x20, 3)]
    [InlineData(0x10, 4)]
    [InlineData(0x08, 5)]
    [InlineData(0x04, 6)]
    [InlineData(0x02, 7)]
    [InlineData(0x01, 8)]
    [InlineData(0x00, 0)]
    public void The_first_byte_gives_the_length_of_a_variable_length_integer(byte first, int length)
        => Assert.Equal(length, Ebml.VintLength(first));

    [Theory]
    [InlineData(new byte[] { 0x81 }, 1L)]
    [InlineData(new byte[] { 0x80 }, 0L)]
    [InlineData(new byte[] { 0xFE }, 126L)]
    [InlineData(new byte[] { 0x40, 0x7F }, 127L)]
    [InlineData(new byte[] { 0x40, 0x01 }, 1L)] // longer than needed is still valid
    [InlineData(new byte[] { 0x20, 0x85, 0x2C }, 0x852CL)]
    [InlineData(new byte[] { 0x10, 0x12, 0x34, 0x56 }, 0x123456L)]
    [InlineData(new byte[] { 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x34 }, 0x1234L)]
    [InlineData(new byte[] { 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE }, 0xFFFFFFFFFFFFFEL)]
    public void Sizes_drop_the_marker_bit(byte[] bytes, long size)
    {
        Assert.Equal(EbmlStatus.Ok, Ebml.ReadSize(bytes, out var read, out var length));
        Assert.Equal((size, bytes.Length), (read, length));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0x7F, 0xFF })]
    [InlineData(new byte[] { 0x3F, 0xFF, 0xFF })]
    [InlineData(new byte[] { 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF })] // what Chrome writes for Segment and Cluster
    public void All_value_bits_set_is_the_unknown_size(byte[] bytes)
    {
        Assert.Equal(EbmlStatus.Ok, Ebml.ReadSize(bytes, out var size, out _));
        Assert.Equal(EbmlHeader.UnknownSize, size);
    }

    [Theory]
    [InlineData(new byte[] { }, EbmlStatus.Truncated)]
    [InlineData(new byte[] { 0x40 }, EbmlStatus.Truncated)]
    [InlineData(new byte[] { 0x01, 0xFF, 0xFF }, EbmlStatus.Truncated)]
    [InlineData(new byte[] { 0x00, 0x81 }, EbmlStatus.Invalid)]
    public void A_size_that_cannot_be_read_says_why(byte[] bytes, EbmlStatus status)
        => Assert.Equal(status, Ebml.ReadSize(bytes, out _, out _));

    [Theory]
    [InlineData(new byte[] { 0x1A, 0x45, 0xDF, 0xA3 }, 0x1A45DFA3u, 4)] // EBML
    [InlineData(new byte[] { 0x1F, 0x43, 0xB6, 0x75 }, 0x1F43B675u, 4)] // Cluster
    [InlineData(new byte[] { 0x2A, 0xD7, 0xB1 }, 0x2AD7B1u, 3)] // TimecodeScale
    [InlineData(new byte[] { 0x44, 0x89 }, 0x4489u, 2)] // Duration
    [InlineData(new byte[] { 0xA3 }, 0xA3u, 1)] // SimpleBlock
    public void Ids_keep_their_marker_bits(byte[] bytes, uint id, int length)
    {
        Assert.Equal(EbmlStatus.Ok, Ebml.ReadId(bytes, out var read, out var readLength));
        Assert.Equal((id, length), (read, readLength));
    }

    [Theory]
    [InlineData(new byte[] { 0x08, 0x00, 0x00, 0x00, 0x00 }, EbmlStatus.Invalid)] // 5 bytes: longer than an ID may be
    [InlineData(new byte[] { 0x00 }, EbmlStatus.Invalid)]
    [InlineData(new byte[] { 0x1F, 0x43 }, EbmlStatus.Truncated)]
    [InlineData(new byte[] { }, EbmlStatus.Truncated)]
    public void An_id_that_cannot_be_read_says_why(byte[] bytes, EbmlStatus status)
        => Assert.Equal(status, Ebml.ReadId(bytes, out _, out _));

    [Fact]
    public void A_chrome_cluster_header_has_an_unknown_size()
    {
        byte[] bytes = [0x1F, 0x43, 0xB6, 0x75, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xE7, 0x81, 0x00];

        Assert.Equal(EbmlStatus.Ok, Ebml.ReadHeader(bytes, out var header));

        Assert.Equal(new EbmlHeader(0x1F43B675, EbmlHeader.UnknownSize, 12), header);
        Assert.True(header.IsUnknownSize);
    }

    [Fact]
    public void A_header_cut_inside_its_size_is_truncated()
        => Assert.Equal(EbmlStatus.Truncated, Ebml.ReadHeader([0x1F, 0x43, 0xB6, 0x75, 0x01, 0xFF], out _));

    [Fact]
    public void Unsigned_values_are_big_endian_and_empty_is_zero()
    {
        Assert.True(Ebml.TryReadUnsigned([0x0F, 0x42, 0x40], out var scale));
        Assert.Equal(1_000_000UL, scale);
        Assert.True(Ebml.TryReadUnsigned([], out var empty));
        Assert.Equal(0UL, empty);
        Assert.False(Ebml.TryReadUnsigned(new byte[9], out _));
    }

    [Fact]
    public void Floats_are_four_or_eight_bytes()
    {
        Assert.True(Ebml.TryReadFloat([0x40, 0xB3, 0x8D, 0x00, 0x00, 0x00, 0x00, 0x00], out var eight));
        Assert.Equal(5005.0, eight);
        Assert.True(Ebml.TryReadFloat([0x45, 0x9C, 0x68, 0x00], out var four));
        Assert.Equal(5005.0, four);
        Assert.False(Ebml.TryReadFloat([0x45, 0x9C, 0x68], out _));
    }

    [Fact]
    public void Children_are_walked_until_one_runs_past_the_end()
    {
        // TrackNumber 1, CodecID "A_OPUS", then a child claiming 16 bytes where 2 are left.
        byte[] body = [0xD7, 0x81, 0x01, 0x86, 0x86, .. "A_OPUS"u8, 0x83, 0x90, 0x02, 0x00];

        var seen = new List<(uint, int)>();
        foreach (var child in new EbmlChildren(body))
        {
            seen.Add((child.Id, child.Value.Length));
        }

        Assert.Equal([(0xD7u, 1), (0x86u, 6)], seen);
    }
}
