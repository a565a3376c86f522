using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Recorder.Core.Api;
using Xunit;

namespace Recorder.Core.Tests.Audit;

/// <summary>
/// The audit log's client address comes from what our own proxies wrote into X-Forwarded-For, counted
/// from the right, never from the entries to their left, which the client sends as it likes.
/// </summary>
public sealed class ClientAddressTests
{
    private static readonly IPAddress Peer = IPAddress.Parse("127.0.0.1");

    [Theory]
    [InlineData("6.6.6.6, 203.0.113.7", 1, "203.0.113.7")]
    [InlineData("6.6.6.6,203.0.113.7,10.0.0.4", 2, "203.0.113.7")]
    [InlineData("6.6.6.6, 198.51.100.1, 203.0.113.7, 10.0.0.4, 10.0.0.5", 3, "203.0.113.7")]
    [InlineData("203.0.113.7", 1, "203.0.113.7")]
    public void The_client_address_is_the_one_the_outermost_trusted_proxy_appended_not_one_the_client_forged(string forwardedFor, int hops, string expected)
        => Assert.Equal(IPAddress.Parse(expected), ClientIp(hops, forwardedFor));

    [Fact]
    public void Fewer_entries_than_trusted_hops_were_all_written_by_our_proxies_so_the_left_most_is_taken()
        => Assert.Equal(IPAddress.Parse("203.0.113.7"), ClientIp(3, "203.0.113.7, 10.0.0.4"));

    [Fact]
    public void Several_header_lines_are_one_list_in_order()
        => Assert.Equal(IPAddress.Parse("203.0.113.7"), ClientIp(1, "6.6.6.6", "203.0.113.7"));

    [Fact]
    public void No_trusted_proxy_ignores_the_header_and_takes_the_connections_peer()
        => Assert.Equal(Peer, ClientIp(0, "6.6.6.6"));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" , ")]
    [InlineData("6.6.6.6, unknown")]
    public void Without_a_usable_trusted_entry_the_connections_peer_is_taken(string? forwardedFor)
        => Assert.Equal(Peer, ClientIp(1, forwardedFor is null ? [] : [forwardedFor]));

    [Theory]
    [InlineData("203.0.113.7:51234", "203.0.113.7")]
    [InlineData("[2001:db8::7]:443", "2001:db8::7")]
    [InlineData("2001:db8::7", "2001:db8::7")]
    public void A_port_is_dropped(string entry, string expected)
        => Assert.Equal(IPAddress.Parse(expected), ClientIp(1, "6.6.6.6, " + entry));

    private static IPAddress? ClientIp(int hops, params string[] forwardedFor)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = Peer;
        if (forwardedFor.Length > 0)
        {
            context.Request.Headers["X-Forwarded-For"] = new StringValues(forwardedFor);
        }
        return RequestInfo.From(context.Request, hops).ClientIp;
    }
}
