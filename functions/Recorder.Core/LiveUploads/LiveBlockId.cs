using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Recorder.Core.LiveUploads;

/// <summary>
/// The block ids a live upload must use: Base64 of the ASCII text <c>block-NNNNNN</c>, a six-digit zero-padded sequence
/// number from 000000, one per block in recording order. Fixed width, as storage requires one id length per blob, so the
/// decoded ids sort as the recording does; the server commits by this number (docs/ingest.md, "Block ids").
/// </summary>
public static partial class LiveBlockId
{
    public const string Prefix = "block-";
    public const int Digits = 6;

    /// <summary>The sequence numbers the six digits can carry; well above storage's 100,000 uncommitted blocks.</summary>
    public const int MaxSequence = 999_999;

    public static string Format(int sequence)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sequence, MaxSequence);
        return Convert.ToBase64String(Encoding.ASCII.GetBytes(Prefix + sequence.ToString("D6", CultureInfo.InvariantCulture)));
    }

    /// <summary>The block's place in the recording, or null for an id that does not follow the contract.</summary>
    public static int? SequenceOf(string id)
    {
        Span<byte> decoded = stackalloc byte[64];
        if (!Convert.TryFromBase64String(id, decoded, out var length) || Convert.ToBase64String(decoded[..length]) != id)
        {
            return null;
        }
        var match = Pattern().Match(Encoding.ASCII.GetString(decoded[..length]));
        return match.Success ? int.Parse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture) : null;
    }

    [GeneratedRegex(@"^block-([0-9]{6})\z")]
    private static partial Regex Pattern();
}
