using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Data;
using Recorder.Core.Security;
using Recorder.Testing;

namespace Recorder.Core.Tests.Security;

/// <summary>A clock that stays where it is put.</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>Keeps every log line, formatted, so tests can check what was (and was not) written.</summary>
internal sealed class CapturingLogger<T> : ILogger<T>
{
    public List<(LogLevel Level, string Message)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Entries)
        {
            Entries.Add((logLevel, formatter(state, exception) + exception));
        }
    }
}

/// <summary>Rows of the main app's <c>users</c> and <c>sessions</c> tables, written as the owner (the app role may only read them).</summary>
internal sealed class AppTables(MigratedDatabase database)
{
    public async Task<string> InsertUserAsync(bool? isActive = true)
    {
        var id = "user-" + Guid.NewGuid().ToString("N");
        await using var connection = new NpgsqlConnection(database.OwnerConnectionString);
        await connection.ExecuteAsync(
            "INSERT INTO users (id, email, password, first_name, last_name, is_active) VALUES (@id, @email, 'x', 'Test', 'User', @isActive)",
            new { id, email = id + "@example.test", isActive });
        return id;
    }

    /// <summary>A session row with <c>expire</c> given as the wall-clock time the app's database session would store.</summary>
    public async Task InsertSessionAsync(string sid, string sessJson, DateTime expireWallClock)
    {
        await using var connection = new NpgsqlConnection(database.OwnerConnectionString);
        await connection.ExecuteAsync(
            "INSERT INTO sessions (sid, sess, expire) VALUES (@sid, CAST(@sessJson AS jsonb), @expire)",
            new { sid, sessJson, expire = DateTime.SpecifyKind(expireWallClock, DateTimeKind.Unspecified) });
    }

    /// <summary>A session row written the way connect-pg-simple writes it: <c>to_timestamp(epoch)</c> from a connection in <paramref name="timeZone"/>.</summary>
    public async Task InsertSessionAsConnectPgSimpleAsync(string sid, string sessJson, DateTimeOffset expires, string timeZone)
    {
        await using var connection = new NpgsqlConnection(database.OwnerConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("SELECT set_config('TimeZone', @timeZone, true)", new { timeZone }, transaction);
        await connection.ExecuteAsync(
            "INSERT INTO sessions (sid, sess, expire) VALUES (@sid, CAST(@sessJson AS jsonb), to_timestamp(@epoch))",
            new { sid, sessJson, epoch = (double)expires.ToUnixTimeSeconds() }, transaction);
        await transaction.CommitAsync();
    }

    /// <summary>A <c>sess</c> value as Replit Auth leaves it, OAuth tokens included.</summary>
    public static string ReplitSess(string userId, string accessToken = "access-token-secret", string refreshToken = "refresh-token-secret")
        => JsonSerializer.Serialize(new
        {
            cookie = new { originalMaxAge = 604800000, httpOnly = true, secure = true, path = "/" },
            passport = new
            {
                user = new
                {
                    claims = new { sub = userId, email = userId + "@example.test", first_name = "Test" },
                    access_token = accessToken,
                    refresh_token = refreshToken,
                    expires_at = 1_900_000_000,
                },
            },
        });
}

internal static class Requests
{
    public static HttpRequest With(string? cookie = null, string? authorization = null)
    {
        var request = new DefaultHttpContext().Request;
        if (cookie is not null)
        {
            request.Headers.Cookie = cookie;
        }
        if (authorization is not null)
        {
            request.Headers.Authorization = authorization;
        }
        return request;
    }

    /// <summary>The cookie header express-session sends back: <c>s:</c> + signed sid, URL-encoded like Node's encodeURIComponent.</summary>
    public static string SessionCookie(string sid, string secret, string name = "connect.sid")
        => $"{name}={Uri.EscapeDataString("s:" + SessionCookieSigner.Sign(sid, secret))}";

    public static string NewSid() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
}

/// <summary>
/// JWTs built by hand (not with the library under test), so tests can also make the tokens a
/// careful issuer never would: unsigned, the wrong algorithm, HMAC keyed with a public key.
/// </summary>
internal static class Jwts
{
    public static string Hs256(object payload, string secret) => Hmac("HS256", payload, Encoding.UTF8.GetBytes(secret));

    public static string Hmac(string alg, object payload, byte[] key) => Build(new { alg, typ = "JWT" }, payload, data => alg switch
    {
        "HS256" => HMACSHA256.HashData(key, data),
        "HS512" => HMACSHA512.HashData(key, data),
        _ => throw new ArgumentOutOfRangeException(nameof(alg)),
    });

    public static string Rs256(object payload, RSA key) => Build(new { alg = "RS256", typ = "JWT" }, payload, data => key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    public static string Unsigned(object payload) => Build(new { alg = "none", typ = "JWT" }, payload, _ => []);

    public static long Epoch(DateTimeOffset time) => time.ToUnixTimeSeconds();

    /// <summary>An HS256 token of JSON written out by hand: what no serializer writes, such as a member named twice.</summary>
    public static string Hs256Json(string headerJson, string payloadJson, string secret)
        => Build(Encoding.UTF8.GetBytes(headerJson), Encoding.UTF8.GetBytes(payloadJson), data => HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), data));

    private static string Build(object header, object payload, Func<byte[], byte[]> sign)
        => Build(JsonSerializer.SerializeToUtf8Bytes(header), JsonSerializer.SerializeToUtf8Bytes(payload), sign);

    private static string Build(byte[] header, byte[] payload, Func<byte[], byte[]> sign)
    {
        var signingInput = Encode(header) + "." + Encode(payload);
        return signingInput + "." + Encode(sign(Encoding.ASCII.GetBytes(signingInput)));
    }

    private static string Encode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>A <see cref="RequestAuthenticator"/> on the test database with a fixed clock and a capturing logger.</summary>
internal sealed class TestAuthenticator : IAsyncDisposable
{
    private readonly RecorderDataSources dataSources;
    private readonly RequestAuthenticator authenticator;

    public TestAuthenticator(MigratedDatabase database, AuthOptions options, DateTimeOffset now)
    {
        dataSources = database.CreateDataSources();
        authenticator = new RequestAuthenticator(Options.Create(options), dataSources, new FixedTimeProvider(now), Logger);
    }

    public CapturingLogger<RequestAuthenticator> Logger { get; } = new();

    public Task<AuthenticationResult> AuthenticateAsync(HttpRequest request) => authenticator.AuthenticateAsync(request, CancellationToken.None);

    public ValueTask DisposeAsync() => dataSources.DisposeAsync();
}
