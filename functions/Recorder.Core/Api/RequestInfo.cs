using System.Net;
using Microsoft.AspNetCore.Http;

namespace Recorder.Core.Api;

/// <summary>What the audit log records about the request behind a change.</summary>
public sealed record RequestInfo(string? RequestId, IPAddress? ClientIp, string? UserAgent)
{
    public static readonly RequestInfo None = new(null, null, null);

    /// <summary>The request's audit facts; values are bounded to the audit columns' sizes.</summary>
    /// <param name="trustedProxyHops">See <see cref="ClientAddressOptions.TrustedProxyHops"/>.</param>
    public static RequestInfo From(HttpRequest request, int trustedProxyHops)
    {
        var requestId = Bounded(request.Headers["x-request-id"].FirstOrDefault(), 128) ?? Bounded(request.HttpContext.TraceIdentifier, 128);
        return new RequestInfo(requestId, ClientAddress(request, trustedProxyHops),
            Bounded(request.Headers.UserAgent.FirstOrDefault(), 512));
    }

    /// <summary>
    /// The address the outermost of our proxies was connected from: the entry <paramref name="trustedProxyHops"/>
    /// from the right of X-Forwarded-For (the left-most when there are fewer, all of them our proxies'),
    /// never one further left, which the client wrote. Without a usable entry, the connection's peer.
    /// </summary>
    private static IPAddress? ClientAddress(HttpRequest request, int trustedProxyHops)
    {
        if (trustedProxyHops > 0)
        {
            // Several header lines form one list, in order (RFC 9110, 5.3).
            var hops = request.Headers["X-Forwarded-For"]
                .SelectMany(line => (line ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .ToList();
            if (hops.Count > 0 && ParseAddress(hops[Math.Max(0, hops.Count - trustedProxyHops)]) is { } forwarded)
            {
                return forwarded;
            }
        }
        return request.HttpContext.Connection.RemoteIpAddress;
    }

    // "1.2.3.4:5678" and "[::1]:5678" carry a port; the audit wants the address only.
    private static IPAddress? ParseAddress(string? value)
        => string.IsNullOrEmpty(value) ? null
            : IPAddress.TryParse(value, out var address) ? address
            : IPEndPoint.TryParse(value, out var endPoint) ? endPoint.Address
            : null;

    private static string? Bounded(string? value, int maxLength)
        => string.IsNullOrEmpty(value) ? null : value.Length <= maxLength ? value : value[..maxLength];
}
