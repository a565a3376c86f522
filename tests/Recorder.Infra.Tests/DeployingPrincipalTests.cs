using Recorder.Infra.Tests.Support;
using Xunit;

namespace Recorder.Infra.Tests;

/// <summary>
/// Issue 17, item 9: azd deploys as its own signed-in principal (it substitutes that principal for AZURE_PRINCIPAL_ID),
/// which becomes the PostgreSQL administrator's object id, while the hooks migrate as the principal az is signed in as,
/// under its name. preprovision stops, saying so, unless the two are the same principal.
/// </summary>
public sealed class DeployingPrincipalTests
{
    private static readonly Dictionary<string, string> Environment = new()
    {
        ["RECORDER_ALERT_EMAIL"] = "ops@example.test",
        ["RECORDER_JWT_ISSUER"] = "https://app.example.test",
        ["AZURE_KEY_VAULT_NAME"] = "kv-test",
    };

    [Fact]
    public async Task Preprovision_stops_when_az_and_azd_are_signed_in_as_different_principals()
    {
        using var sandbox = new HookSandbox().SignedIn("aaaaaaaa-0000-0000-0000-000000000001", "bbbbbbbb-0000-0000-0000-000000000002");

        var result = await sandbox.RunAsync("preprovision.sh", Environment);

        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.Contains("az is signed in as ada@example.test (aaaaaaaa-0000-0000-0000-000000000001) but azd as bbbbbbbb-0000-0000-0000-000000000002", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("azd auth login", result.StandardError, StringComparison.Ordinal);
        // Nothing written, nothing else looked at.
        Assert.DoesNotContain(sandbox.Calls(), call => call.Command == "azd" && !call.Is("azd", "auth token"));
        Assert.DoesNotContain(sandbox.Calls(), call => call.Is("az", "keyvault") || call.Is("az", "postgres") || call.Is("az", "role"));
        AssertTokenNeverShown(sandbox, result, "bbbbbbbb-0000-0000-0000-000000000002");
    }

    [Fact]
    public async Task Preprovision_names_the_one_principal_az_and_azd_share_as_the_PostgreSQL_administrator()
    {
        using var sandbox = new HookSandbox().SignedIn("AAAAAAAA-0000-0000-0000-000000000001", "aaaaaaaa-0000-0000-0000-000000000001");

        var result = await sandbox.RunAsync("preprovision.sh", Environment);

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Equal(
            ["env set AZURE_PRINCIPAL_NAME ada@example.test", "env set AZURE_PRINCIPAL_TYPE User"],
            sandbox.Calls().Where(call => call.Is("azd", "env set") && call.Line.Contains("_PRINCIPAL_", StringComparison.Ordinal)).Select(call => call.Line));
        AssertTokenNeverShown(sandbox, result, "aaaaaaaa-0000-0000-0000-000000000001");
    }

    [Fact]
    public async Task Preprovision_stops_when_it_cannot_tell_whom_azd_deploys_as()
    {
        using var sandbox = new HookSandbox()
            .Answer("az", "account show --query user.type -o tsv", new StubAnswer("user\n"))
            .Answer("az", "ad signed-in-user show --query userPrincipalName -o tsv", new StubAnswer("ada@example.test\n"))
            .Answer("az", "ad signed-in-user show --query id -o tsv", new StubAnswer("object-id-of-ada\n"))
            .Answer("azd", "auth token --output json", new StubAnswer("""{"token":"not.a-token"}"""));

        var result = await sandbox.RunAsync("preprovision.sh", Environment);

        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.DoesNotContain(sandbox.Calls(), call => call.Is("azd", "env set"));
    }

    // The access token travels through a pipe: never on a command line, never in the log.
    private static void AssertTokenNeverShown(HookSandbox sandbox, ProcessResult result, string objectId)
    {
        var token = AzureStandIns.AccessToken(objectId);
        Assert.All(sandbox.Calls(), call => Assert.DoesNotContain(token.Split('.')[1], call.Line, StringComparison.Ordinal));
        Assert.DoesNotContain(token.Split('.')[1], result.StandardOutput + result.StandardError, StringComparison.Ordinal);
    }
}
