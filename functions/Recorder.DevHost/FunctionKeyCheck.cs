using System.Security.Cryptography;
using System.Text;
using Microsoft.Azure.Functions.Worker;

namespace Recorder.DevHost;

/// <summary>
/// The Functions host's key check. Function level takes the function key (or the master key) from the
/// <c>x-functions-key</c> header or the <c>code</c> query parameter; Admin and System levels take the master key.
/// The keys come from settings <c>DevHost:FunctionKey</c> and <c>DevHost:MasterKey</c>.
/// </summary>
public sealed class FunctionKeyCheck
{
    public const string FunctionKeySetting = "DevHost:FunctionKey";
    public const string MasterKeySetting = "DevHost:MasterKey";
    public const string KeyHeader = "x-functions-key";
    public const string KeyQueryParameter = "code";

    // SHA-256 of each key: comparing hashes keeps FixedTimeEquals from returning early on a length mismatch.
    private readonly byte[]? functionKeyHash;
    private readonly byte[]? masterKeyHash;

    /// <exception cref="DevHostStartupException">A function needs a key that is not configured.</exception>
    public FunctionKeyCheck(IConfiguration configuration, FunctionCatalog catalog)
    {
        functionKeyHash = Hash(configuration[FunctionKeySetting]);
        masterKeyHash = Hash(configuration[MasterKeySetting]);
        RequireKey(functionKeyHash, FunctionKeySetting, catalog.Http.Where(f => f.AuthLevel == AuthorizationLevel.Function));
        RequireKey(masterKeyHash, MasterKeySetting,
            catalog.Http.Where(f => f.AuthLevel is AuthorizationLevel.Admin or AuthorizationLevel.System));
    }

    public bool IsAuthorized(HttpRequest request, AuthorizationLevel level)
    {
        if (level == AuthorizationLevel.Anonymous)
        {
            return true;
        }
        var presented = request.Headers[KeyHeader].FirstOrDefault() is { Length: > 0 } header ? header
            : request.Query[KeyQueryParameter].FirstOrDefault();
        if (Hash(presented) is not { } presentedHash)
        {
            return false;
        }
        var isMaster = Matches(presentedHash, masterKeyHash);
        return level == AuthorizationLevel.Function ? isMaster | Matches(presentedHash, functionKeyHash) : isMaster;
    }

    private static bool Matches(byte[] presented, byte[]? expected)
        => expected is not null && CryptographicOperations.FixedTimeEquals(presented, expected);

    private static byte[]? Hash(string? key) => string.IsNullOrEmpty(key) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private static void RequireKey(byte[]? key, string setting, IEnumerable<HttpFunction> functions)
    {
        var names = functions.Select(f => f.Name).ToList();
        if (key is null && names.Count > 0)
        {
            throw new DevHostStartupException(
                $"Setting '{setting}' is not set, and these functions need it: {string.Join(", ", names)}. " +
                $"Set it in local.settings.json (\"{setting.Replace(":", "__", StringComparison.Ordinal)}\") or the environment.");
        }
    }
}
