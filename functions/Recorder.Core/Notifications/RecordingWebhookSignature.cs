using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Recorder.Core.Notifications;

/// <summary>
/// The headers a recording-events POST carries (docs/notifications.md, "Verifying a webhook"): the signature over the
/// send time and the exact body, and the event id, which stays the same on every retry of the event.
/// </summary>
public static class RecordingWebhookSignature
{
    public const string SignatureHeader = "Recorder-Signature";
    public const string EventIdHeader = "Recorder-Event-Id";

    /// <summary><c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "t.body" under the secret&gt;</c>.</summary>
    public static string Sign(string secret, long unixSeconds, string body)
    {
        var timestamp = unixSeconds.ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp + "." + body));
        return $"t={timestamp},v1={Convert.ToHexStringLower(mac)}";
    }
}
