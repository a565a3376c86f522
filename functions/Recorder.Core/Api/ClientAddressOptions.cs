using System.ComponentModel.DataAnnotations;

namespace Recorder.Core.Api;

/// <summary>
/// Where the audit log takes a request's client address from (docs/security.md, "Client addresses").
/// Every proxy in front of the app appends the address of its own peer to <c>X-Forwarded-For</c>, and
/// everything to the left of what our own proxies wrote came from the client, who can write anything.
/// </summary>
public sealed class ClientAddressOptions
{
    public const string SectionName = "Http";

    /// <summary>
    /// How many proxies of our own append to <c>X-Forwarded-For</c>: the client address is that many
    /// entries from the right. 1 (the default): the Container Apps ingress, which appends the address it
    /// was connected from. 0: no proxy; the header is ignored and the connection's remote address is taken.
    /// </summary>
    [Range(0, 16)]
    public int TrustedProxyHops { get; set; } = 1;
}
