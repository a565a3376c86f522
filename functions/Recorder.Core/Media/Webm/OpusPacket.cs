namespace Recorder.Core.Media.Webm;

/// <summary>
/// The duration of an Opus packet from its table-of-contents byte (RFC 6716 §3.1). Chrome writes
/// 60 ms packets with no DefaultDuration, so this is how the last audio packet's length is known.
/// </summary>
internal static class OpusPacket
{
    private const long Millisecond = 1_000_000;
    private const long MaxPacketNs = 120 * Millisecond;

    public static long? DurationNs(ReadOnlySpan<byte> packet)
    {
        if (packet.IsEmpty)
        {
            return null;
        }
        var config = packet[0] >> 3;
        var frameNs = config switch
        {
            < 12 => (config & 3) switch // SILK
            {
                0 => 10 * Millisecond, 1 => 20 * Millisecond, 2 => 40 * Millisecond, _ => 60 * Millisecond,
            },
            < 16 => (config & 1) == 0 ? 10 * Millisecond : 20 * Millisecond, // hybrid
            _ => (Millisecond * 5 / 2) << (config & 3), // CELT: 2.5, 5, 10, 20 ms
        };
        var frames = (packet[0] & 3) switch
        {
            0 => 1,
            1 or 2 => 2,
            _ => packet.Length > 1 ? packet[1] & 0x3F : 0,
        };
        var total = frames * frameNs;
        return total is > 0 and <= MaxPacketNs ? total : null;
    }
}
