using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Recorder.Core.Api;

/// <summary>
/// The opaque cursor of a newest-first keyset list on (timestamp, id): base64url of "ticks.id"
/// (ticks keep PostgreSQL's microseconds exactly).
/// </summary>
public static class KeysetCursor
{
    public static string Encode(DateTime at, long id)
        => Base64Url.EncodeToString(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{at.Ticks}.{id}")));

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
