using System.Security.Cryptography;
using System.Text;

namespace Recorder.Core.Security;

/// <summary>
/// The npm package cookie-signature, which express-session uses: a value is signed as
/// <c>value + "." + base64(HMAC-SHA256(secret, value))</c> with the trailing <c>=</c> removed.
/// </summary>
public static class SessionCookieSigner
{
    public static string Sign(string value, string secret) => value + "." + Digest(value, Encoding.UTF8.GetBytes(secret));

    /// <summary>
    /// The value if any of <paramref name="secrets"/> signed <paramref name="signed"/>, else null.
    /// Like cookie-signature, the value is everything before the last dot.
    /// </summary>
    public static string? Unsign(string signed, IReadOnlyList<byte[]> secrets)
    {
        var dot = signed.LastIndexOf('.');
        if (dot <= 0)
        {
            return null;
        }
        var value = signed[..dot];
        var signature = Encoding.UTF8.GetBytes(signed[(dot + 1)..]);
        foreach (var secret in secrets)
        {
            if (CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Digest(value, secret)), signature))
            {
                return value;
            }
        }
        return null;
    }

    private static string Digest(string value, byte[] secret)
        => Convert.ToBase64String(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(value))).TrimEnd('=');
}
