using System.Globalization;
using System.Net;
using System.Xml.Linq;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;

namespace Recorder.Core.Tests.Uploads.Sas;

/// <summary>
/// Stands in for an Azure storage account behind an identity-based client, which Azurite over plain HTTP
/// cannot be (bearer tokens need HTTPS, and Azurite issues no user delegation keys): answers Get User
/// Delegation Key, or refuses it as Azure does an identity without a role that may get keys.
/// </summary>
internal sealed class FakeBlobService : HttpMessageHandler
{
    public const string ObjectId = "33333333-3333-3333-3333-333333333333";
    public const string TenantId = "44444444-4444-4444-4444-444444444444";

    public static readonly Uri Endpoint = new("https://recorderunit.blob.core.windows.net");

    public List<(DateTimeOffset StartsOn, DateTimeOffset ExpiresOn)> KeyRequests { get; } = [];

    /// <summary>While true, Get User Delegation Key is answered 403 AuthorizationPermissionMismatch.</summary>
    public bool RefusesKeys { get; set; }

    /// <summary>The blob client an app with a managed identity has, sending to this account; no retries.</summary>
    public BlobServiceClient Client() => new(Endpoint, new Credential(), new BlobClientOptions
    {
        Transport = new HttpClientTransport(new HttpClient(this)),
        Retry = { MaxRetries = 0 },
    });

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method == HttpMethod.Post && request.RequestUri!.Query.Contains("comp=userdelegationkey", StringComparison.Ordinal))
        {
            if (RefusesKeys)
            {
                return KeyRefused();
            }
            var keyInfo = XDocument.Parse(await request.Content!.ReadAsStringAsync(cancellationToken)).Root!;
            var startsOn = DateTimeOffset.Parse(keyInfo.Element("Start")!.Value, CultureInfo.InvariantCulture);
            var expiresOn = DateTimeOffset.Parse(keyInfo.Element("Expiry")!.Value, CultureInfo.InvariantCulture);
            KeyRequests.Add((startsOn, expiresOn));
            var key = new XElement("UserDelegationKey",
                new XElement("SignedOid", ObjectId),
                new XElement("SignedTid", TenantId),
                new XElement("SignedStart", keyInfo.Element("Start")!.Value),
                new XElement("SignedExpiry", keyInfo.Element("Expiry")!.Value),
                new XElement("SignedService", "b"),
                new XElement("SignedVersion", "2025-11-05"),
                new XElement("Value", Convert.ToBase64String(new byte[32])));
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(key.ToString(), System.Text.Encoding.UTF8, "application/xml") };
        }
        return new HttpResponseMessage(HttpStatusCode.NotImplemented);
    }

    private static HttpResponseMessage KeyRefused()
    {
        const string code = "AuthorizationPermissionMismatch";
        var error = new XElement("Error", new XElement("Code", code),
            new XElement("Message", "This request is not authorized to perform this operation using this permission."));
        var response = new HttpResponseMessage(HttpStatusCode.Forbidden) { Content = new StringContent(error.ToString(), System.Text.Encoding.UTF8, "application/xml") };
        response.Headers.Add("x-ms-error-code", code);
        return response;
    }

    /// <summary>What a managed identity would give, without asking anyone.</summary>
    public sealed class Credential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
            => new("test-token", DateTimeOffset.MaxValue);

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
            => ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
