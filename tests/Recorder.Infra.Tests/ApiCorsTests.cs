using System.Text.RegularExpressions;
using Recorder.Infra.Tests.Support;
using Xunit;

namespace Recorder.Infra.Tests;

/// <summary>
/// Issue 17, item 6: the API's CORS (the container app's ingress policy) sends cookies along, so it lists the request
/// headers the recorder page's client module sends: a credentialed preflight takes '*' as a header literally named '*',
/// and '*' never covers Authorization. Blob uploads go to storage, whose own CORS rule allows x-ms-* (TemplatePromisesTests).
/// </summary>
[Collection(BicepCollection.Name)]
public sealed partial class ApiCorsTests(BicepFixture bicep)
{
    [Fact]
    public void A_credentialed_preflight_allows_every_header_the_client_module_sends_by_name()
    {
        var policy = Json.Text(bicep.Main.Module("functions-app").ResourcesOfType("Microsoft.App/containerApps").Single()["properties"]!["configuration"]!["ingress"]!["corsPolicy"])!;
        Assert.Contains("'allowCredentials', true()", policy, StringComparison.Ordinal);
        var allowed = AllowedHeaders().Match(policy);
        Assert.True(allowed.Success, policy);
        var headers = Quoted().Matches(allowed.Groups[1].Value).Select(match => match.Groups[1].Value).ToList();
        Assert.DoesNotContain("*", headers);

        // The headers of the client module's API calls (its fetch), and Authorization: a page signing in with a bearer token
        // passes it through the client's headers() option (docs/recorder-page.md, docs/api.md).
        var client = Repository.ReadText("web", "recorder", "recorder-client.js");
        var fetch = ApiFetchHeaders().Match(client);
        Assert.True(fetch.Success, "recorder-client.js: the API fetch's headers were not found");
        var sent = HeaderName().Matches(fetch.Groups[1].Value).Select(match => match.Groups["name"].Value).Append("Authorization").ToList();
        Assert.Equal(["Accept", "Content-Type", "Authorization"], sent);
        Assert.Contains("Authorization: Bearer", Repository.ReadText("docs", "api.md"), StringComparison.Ordinal);
        Assert.All(sent, header => Assert.Contains(header, headers, StringComparer.OrdinalIgnoreCase));
    }

    [GeneratedRegex(@"'allowedHeaders', createArray\(([^)]*)\)")]
    private static partial Regex AllowedHeaders();

    [GeneratedRegex(@"'([^']*)'")]
    private static partial Regex Quoted();

    // fetch(`${this.baseUrl}/api/${path}`, { … headers: { … }, …
    [GeneratedRegex(@"fetch\(`\$\{this\.baseUrl\}/api/[^`]*`, \{[^}]*?headers: \{(.*?)\.\.\.this\.headers\(\) \}", RegexOptions.Singleline)]
    private static partial Regex ApiFetchHeaders();

    // Accept: … or 'Content-Type': …
    [GeneratedRegex(@"(?:^|[{,(])\s*'?(?<name>[A-Za-z][A-Za-z-]*)'?:\s", RegexOptions.Multiline)]
    private static partial Regex HeaderName();
}
