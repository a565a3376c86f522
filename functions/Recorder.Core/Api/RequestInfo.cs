using System.Net;
using Microsoft.AspNetCore.Http;

namespace Recorder.Core.Api;

/// <summary>What the audit log records about the request behind a change.</summary>
public sealed record RequestInfo(string? RequestId, IPAddress? ClientIp, string? UserAgent)
{
    public static readonly RequestInfo None = new(null, null, null);

    /// <summary>
    /// The client address is the first X-Forwarded-For hop when present: behind the Functions
    /// front end the socket peer is the proxy. Values are bounded to the audit columns' sizes.
    /// </summary>
    public static RequestInfo From(HttpRequest request)
    {
        var requestId = Bounded(request.Headers["x-request-id"].FirstOrDefault(), 128) ?? Bounded(request.HttpContext.TraceIdentifier, 128);
        var forwarded = request.Headers["X-Forwarded-For"].FirstOrDefault()?.Split(',')[0].Trim();
        var clientIp = ParseAddress(forwarded) ?? request.HttpContext.Connection.RemoteIpAddress;
        return new RequestInfo(requestId, clientIp, Bounded(request.Headers.UserAgent.FirstOrDefault(), 512));
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
