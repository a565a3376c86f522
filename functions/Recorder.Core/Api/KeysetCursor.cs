using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Recorder.Core.Api;

/// <summary>
/// Opaque keyset cursors: base64url of "ticks.id" for lists on (timestamp, id) (ticks keep PostgreSQL's
/// microseconds exactly), or of one number for lists on an id or sequence.
/// </summary>
public static class KeysetCursor
{
    public static string Encode(DateTime at, long id)
        => Base64Url.EncodeToString(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{at.Ticks}.{id}")));

    /// <summary>The cursor of a list keyed on one positive number (an id or a sequence).</summary>
    public static string EncodeNumber(long value)
        => Base64Url.EncodeToString(Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture)));

    public static long? DecodeNumber(string text)
    {
        try
        {
            return long.TryParse(Encoding.ASCII.GetString(Base64Url.DecodeFromChars(text)), NumberStyles.None, CultureInfo.InvariantCulture,
                out var value) && value > 0 ? value : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public static (DateTime At, long Id)? Decode(string text)
    {
        try
        {
            var parts = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(text)).Split('.');
            return parts.Length == 2
                && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks <= DateTime.MaxValue.Ticks
                && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                ? (new DateTime(ticks, DateTimeKind.Utc), id)
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
