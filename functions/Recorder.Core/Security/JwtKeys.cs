using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Recorder.Core.Security;

/// <summary>The bearer-token verification keys of <see cref="JwtOptions"/>.</summary>
internal static class JwtKeys
{
    public const int MinimumHmacSecretBytes = 32;
    public const int MinimumRsaKeyBits = 2048;

    public static bool IsStrongHmacSecret(string secret) => Encoding.UTF8.GetByteCount(secret) >= MinimumHmacSecretBytes;

    /// <summary>
    /// A SubjectPublicKeyInfo RSA public key, or null. Private keys and PKCS#1 "RSA PUBLIC KEY"
    /// blocks are refused: this service verifies and must never hold a signing key.
    /// </summary>
    public static RSA? ReadRsaPublicKey(string pem)
    {
        if (!PemEncoding.TryFind(pem, out var fields) || pem[fields.Label] != "PUBLIC KEY")
        {
            return null;
        }
        var rsa = RSA.Create();
        try
        {
            rsa.ImportSubjectPublicKeyInfo(Convert.FromBase64String(pem[fields.Base64Data]), out _);
            if (rsa.KeySize >= MinimumRsaKeyBits)
            {
                return rsa;
            }
        }
        catch (Exception exception) when (exception is CryptographicException or FormatException)
        {
            // Not RSA, or not a key at all: refused below.
        }
        rsa.Dispose();
        return null;
    }

    /// <summary>All configured keys; options validation has already refused unreadable or weak ones.</summary>
    public static IReadOnlyList<SecurityKey> Load(JwtOptions options)
    {
        var keys = new List<SecurityKey>();
        if (!string.IsNullOrEmpty(options.HmacSecret))
        {
            keys.Add(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(options.HmacSecret)));
        }
        foreach (var pem in options.RsaPublicKeys)
        {
            keys.Add(new RsaSecurityKey(
                ReadRsaPublicKey(pem)
                    ?? throw new InvalidOperationException("An Auth:Jwt:RsaPublicKeys entry is not a usable RSA public key.")));
        }
        return keys;
    }
}
