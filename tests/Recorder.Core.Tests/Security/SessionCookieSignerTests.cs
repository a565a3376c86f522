using System.Text;
using Recorder.Core.Security;
using Xunit;

namespace Recorder.Core.Tests.Security;

public sealed class SessionCookieSignerTests
{
    private static readonly byte[][] Secret = [Encoding.UTF8.GetBytes("tobiiscool")];

    [Fact]
    public void Signs_like_the_cookie_signature_package()
    {
        // The test vector of cookie-signature's own test suite.
        Assert.Equal("hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI", SessionCookieSigner.Sign("hello", "tobiiscool"));
        Assert.Equal("hello", SessionCookieSigner.Unsign("hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI", Secret));
    }

    [Theory]
    [InlineData("hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI=")]   // padding is never part of the signature
    [InlineData("hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5Q")]    // truncated
    [InlineData("hello.")]
    [InlineData("hello")]
    [InlineData(".DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI")]
    [InlineData("hellO.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI")]
    [InlineData("")]
    public void Refuses_anything_else(string signed)
    {
        Assert.Null(SessionCookieSigner.Unsign(signed, Secret));
    }

    [Fact]
    public void The_value_is_everything_before_the_last_dot()
    {
        var signed = SessionCookieSigner.Sign("a.b.c", "tobiiscool");

        Assert.Equal("a.b.c", SessionCookieSigner.Unsign(signed, Secret));
        Assert.Null(SessionCookieSigner.Unsign("a." + signed, Secret));
    }

    [Fact]
    public void Any_listed_secret_verifies()
    {
        var signed = SessionCookieSigner.Sign("sid", "old secret");

        Assert.Equal("sid", SessionCookieSigner.Unsign(signed, [Encoding.UTF8.GetBytes("new secret"), Encoding.UTF8.GetBytes("old secret")]));
        Assert.Null(SessionCookieSigner.Unsign(signed, [Encoding.UTF8.GetBytes("new secret")]));
    }

    [Fact]
    public void Secrets_and_values_are_utf8_like_in_node()
    {
        // crypto.createHmac('sha256', 'clé').update('s€ssion').digest('base64') in Node.
        Assert.Equal("s€ssion.Sxzh6LTDVX2XZLxbESUP+NTtYwgxwYvRvJL8hnm4v8s", SessionCookieSigner.Sign("s€ssion", "clé"));
    }
}
