using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Recorder.Core.Data;
using Recorder.Core.Security;
using Recorder.Testing;
using Xunit;
using static Recorder.Core.Security.AuthenticationResult;

namespace Recorder.Core.Tests.Security;

/// <summary>The "Auth" settings: bound by <see cref="SecurityServiceCollectionExtensions.AddRecorderSecurity"/>, refused at start-up when unusable.</summary>
public sealed class AuthOptionsTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>
{
    private const string SessionSecret = "the-session-secret-value";
    private const string HmacSecret = "the-hmac-secret-value-of-32-bytes-or-more";

    [Fact]
    public async Task Registers_an_authenticator_bound_to_the_auth_section()
    {
        var tables = new AppTables(database);
        var userId = await tables.InsertUserAsync();
        var sid = Requests.NewSid();
        await tables.InsertSessionAsConnectPgSimpleAsync(sid, AppTables.ReplitSess(userId), DateTimeOffset.UtcNow.AddHours(1), "Asia/Tokyo");
        await using var provider = BuildProvider(new()
        {
            ["Auth:SessionCookieName"] = "app.sid",
            ["Auth:SessionSecrets:0"] = "the newest secret",
            ["Auth:SessionSecrets:1"] = SessionSecret,
            ["Auth:SessionTimeZone"] = "Asia/Tokyo",
            ["Auth:Jwt:HmacSecret"] = HmacSecret,
            ["Auth:Jwt:Issuer"] = "app",
            ["Auth:Jwt:Audience"] = "recorder",
            ["Auth:Jwt:ClockSkewSeconds"] = "0",
        });
        provider.GetRequiredService<IStartupValidator>().Validate();
        var authenticator = provider.GetRequiredService<RequestAuthenticator>();

        var session = await authenticator.AuthenticateAsync(Requests.With(cookie: Requests.SessionCookie(sid, SessionSecret, "app.sid")), CancellationToken.None);
        var token = Jwts.Hs256(new Dictionary<string, object> { ["sub"] = userId, ["iss"] = "app", ["aud"] = "recorder", ["exp"] = Jwts.Epoch(DateTimeOffset.UtcNow.AddMinutes(5)) }, HmacSecret);
        var bearer = await authenticator.AuthenticateAsync(Requests.With(authorization: "Bearer " + token), CancellationToken.None);

        var sessionCaller = Assert.IsType<Authenticated>(session).Caller;
        Assert.Equal((userId, Caller.SessionMethod), (sessionCaller.UserId, sessionCaller.Method));
        var bearerCaller = Assert.IsType<Authenticated>(bearer).Caller;
        Assert.Equal((userId, Caller.BearerMethod), (bearerCaller.UserId, bearerCaller.Method));
    }

    [Fact]
    public async Task Start_up_fails_when_no_credential_could_ever_be_verified()
    {
        await using var provider = BuildProvider(new() { ["Auth:SessionCookieName"] = "connect.sid" });

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("no caller can ever be authenticated", failure.Message);
        Assert.Contains("Auth:SessionSecrets", failure.Message);
    }

    [Fact]
    public void Session_secrets_alone_are_enough()
    {
        Assert.True(Validate(new AuthOptions { SessionSecrets = [SessionSecret] }).Succeeded);
    }

    [Fact]
    public void A_jwt_key_alone_is_enough_with_issuer_and_audience()
    {
        Assert.True(Validate(new AuthOptions { Jwt = new JwtOptions { HmacSecret = HmacSecret, Issuer = "app", Audience = "recorder" } }).Succeeded);
        using var rsa = RSA.Create(2048);
        Assert.True(Validate(new AuthOptions { Jwt = new JwtOptions { RsaPublicKeys = [rsa.ExportSubjectPublicKeyInfoPem()], Issuer = "app", Audience = "recorder" } }).Succeeded);
    }

    [Theory]
    [InlineData("Auth:SessionTimeZone", "Mars/Olympus_Mons")]
    [InlineData("Auth:SessionTimeZone", "Eastern Standard Time")] // Windows ids need ICU, which InvariantGlobalization leaves out
    [InlineData("Auth:SessionCookieName", " ")]
    [InlineData("Auth:Jwt:ClockSkewSeconds", "-1")]
    public void Refuses_unusable_settings(string key, string value)
    {
        var options = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Auth:SessionSecrets:0"] = SessionSecret, [key] = value })
            .Build()
            .GetSection(AuthOptions.SectionName)
            .Get<AuthOptions>()!;

        var result = Validate(options);

        Assert.True(result.Failed);
        Assert.Contains(key, result.FailureMessage);
    }

    [Fact]
    public void Accepts_iana_time_zones()
    {
        foreach (var zone in new[] { "UTC", "America/New_York", "Asia/Tokyo", "Europe/Berlin" })
        {
            Assert.True(Validate(new AuthOptions { SessionSecrets = [SessionSecret], SessionTimeZone = zone }).Succeeded, zone);
        }
    }

    [Fact]
    public void Refuses_weak_or_unreadable_jwt_keys_without_repeating_them()
    {
        using var smallRsa = RSA.Create(1024);
        using var rsa = RSA.Create(2048);
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var shortSecret = "short-hmac-secret";
        var options = new AuthOptions
        {
            SessionSecrets = [SessionSecret, ""],
            Jwt = new JwtOptions
            {
                HmacSecret = shortSecret,
                RsaPublicKeys =
                [
                    smallRsa.ExportSubjectPublicKeyInfoPem(),
                    rsa.ExportRSAPrivateKeyPem(),
                    rsa.ExportPkcs8PrivateKeyPem(),
                    ecdsa.ExportSubjectPublicKeyInfoPem(),
                    "not a pem at all",
                    rsa.ExportSubjectPublicKeyInfoPem(),
                ],
            },
        };

        var result = Validate(options);

        Assert.True(result.Failed);
        Assert.Equal(
            [
                "Auth:SessionSecrets:1 is empty.",
                "Auth:Jwt:HmacSecret is shorter than 32 bytes (HS256 needs a 256-bit key).",
                .. Enumerable.Range(0, 5).Select(i => $"Auth:Jwt:RsaPublicKeys:{i} is not a PEM \"PUBLIC KEY\" (SubjectPublicKeyInfo) RSA key of at least 2048 bits."),
                "Auth:Jwt:Issuer and Auth:Jwt:Audience are required when a JWT key is configured.",
            ],
            result.Failures);
        Assert.DoesNotContain(shortSecret, result.FailureMessage);
        Assert.DoesNotContain(SessionSecret, result.FailureMessage);
    }

    private static ValidateOptionsResult Validate(AuthOptions options) => new AuthOptionsValidator().Validate(Options.DefaultName, options);

    private ServiceProvider BuildProvider(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddSingleton(_ => database.CreateDataSources())
            .AddRecorderSecurity()
            .BuildServiceProvider();
    }
}
