using System.Text.Json.Nodes;
using Recorder.Infra.Tests.Support;
using Xunit;
using static Recorder.Infra.Tests.Support.AzureStandIns;

namespace Recorder.Infra.Tests;

/// <summary>
/// Issue 17, items 7 and 8. After `azd down` the purge-protected vault stays soft-deleted for 90 days under its name:
/// preprovision recovers it. A new Key Vault grant takes minutes to reach Key Vault, and Container Apps resolves the
/// app's Key Vault references when it applies them: a provision whose grant is new leaves them out, and postprovision
/// attaches them, retrying until the grant works.
/// </summary>
[Collection(BicepCollection.Name)]
public sealed class KeyVaultProvisionTests(BicepFixture bicep)
{
    private const string IdentityPrincipalId = "11111111-2222-3333-4444-555555555555";
    private const string VaultId = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-test/providers/Microsoft.KeyVault/vaults/kv-test";

    [Fact]
    public async Task Preprovision_recovers_the_soft_deleted_vault_of_this_environment_and_region_only()
    {
        using var sandbox = new HookSandbox()
            .SignedIn("object-id-of-ada", "object-id-of-ada")
            .Answer("az", "keyvault list-deleted --resource-type vault*", new StubAnswer(new JsonArray(
                DeletedVault("kv-test", "test", "westeurope", "rg-test"),
                DeletedVault("kv-other", "other", "westeurope", "rg-other"),
                DeletedVault("kv-elsewhere", "test", "northeurope", "rg-test")).ToJsonString()))
            .Answer("az", "group exists --name rg-test", new StubAnswer("false\n"));

        var result = await sandbox.RunAsync("preprovision.sh", PreprovisionEnvironments.ExistingDeployment());

        Assert.True(result.ExitCode == 0, result.Describe());
        var calls = sandbox.Calls().Where(call => call.Command == "az").ToList();
        var create = Assert.Single(calls, call => call.Is("az", "group create"));
        Assert.Equal(("rg-test", "westeurope", "azd-env-name=test"), (create.Option("--name"), create.Option("--location"), create.Option("--tags")));
        var recover = Assert.Single(calls, call => call.Is("az", "keyvault recover"));
        Assert.Equal(("kv-test", "westeurope"), (recover.Option("--name"), recover.Option("--location")));
        Assert.True(calls.IndexOf(create) < calls.IndexOf(recover), "the vault was recovered before its resource group existed");
    }

    [Fact]
    public async Task Preprovision_recovers_nothing_when_no_vault_of_this_environment_is_deleted()
    {
        using var sandbox = new HookSandbox()
            .SignedIn("object-id-of-ada", "object-id-of-ada")
            .Answer("az", "keyvault list-deleted --resource-type vault*", new StubAnswer(new JsonArray(DeletedVault("kv-other", "other", "westeurope", "rg-other")).ToJsonString()));

        var result = await sandbox.RunAsync("preprovision.sh", PreprovisionEnvironments.ExistingDeployment());

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Single(sandbox.Calls(), call => call.Is("az", "keyvault list-deleted"));
        Assert.DoesNotContain(sandbox.Calls(), call => call.Is("az", "keyvault recover") || call.Is("az", "group create"));
    }

    [Fact]
    public void Bicep_gives_the_app_its_Key_Vault_references_only_when_told_the_grant_has_applied()
    {
        var main = bicep.Main;
        // The references (Bicep inlines them, as they name the vault's URI): all of them, or none.
        var references = Json.Text(main.Outputs["APP_KEY_VAULT_REFERENCES"]!["value"])!;
        Assert.StartsWith("[map(concat(variables('sessionSecretNames'), ", references, StringComparison.Ordinal);
        Assert.Equal(
            $"[if(parameters('appSecretsFromKeyVault'), createObject('value', {references[1..^1]}), createObject('value', createArray()))]",
            Json.Text(main.Deployment("functions-app")["properties"]!["parameters"]!["keyVaultSecrets"]));
        Assert.StartsWith(
            "[concat(if(parameters('appSecretsFromKeyVault'), variables('keyVaultSecretSettings'), createArray()),",
            Json.Text(main.Variables["authSettings"]),
            StringComparison.Ordinal);
        Assert.True(Json.IsTrue(main.DefaultOf("appSecretsFromKeyVault")));
        Assert.Equal("${RECORDER_APP_SECRETS_FROM_KEY_VAULT=true}",
            Json.Text(JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.BicepDirectory, "main.parameters.json")))!["parameters"]!["appSecretsFromKeyVault"]!["value"]));

        // What postprovision attaches otherwise: the same settings, and the references above.
        Assert.Equal("[variables('keyVaultSecretSettings')]", Json.Text(main.Outputs["APP_KEY_VAULT_SETTINGS"]!["value"]));
        Assert.Equal("[reference('appIdentity').outputs.id.value]", Json.Text(main.Outputs["APP_IDENTITY_ID"]!["value"]));
    }

    [Theory]
    [InlineData(null, null, "false")]  // first provision: no identity yet
    [InlineData(IdentityPrincipalId, "0", "false")]  // a new identity (after azd down): the grant is this provision's
    [InlineData(IdentityPrincipalId, "1", "true")]
    public async Task Preprovision_keeps_the_references_out_of_Bicep_while_the_identitys_grant_is_new(string? identity, string? grants, string expected)
    {
        using var sandbox = new HookSandbox().SignedIn("object-id-of-ada", "object-id-of-ada")
            .Answer("az", "role assignment list*", new StubAnswer((grants ?? "") + "\n"));
        var environment = PreprovisionEnvironments.ExistingDeployment();
        if (identity is not null)
        {
            environment["APP_IDENTITY_PRINCIPAL_ID"] = identity;
        }

        var result = await sandbox.RunAsync("preprovision.sh", environment);

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains(sandbox.Calls(), call => call.Is("azd", $"env set RECORDER_APP_SECRETS_FROM_KEY_VAULT {expected}"));
        var lookups = sandbox.Calls().Where(call => call.Is("az", "role assignment list")).ToList();
        if (identity is null)
        {
            Assert.Empty(lookups);
            return;
        }
        var lookup = Assert.Single(lookups);
        Assert.Equal((IdentityPrincipalId, VaultId, "Key Vault Secrets User"), (lookup.Option("--assignee"), lookup.Option("--scope"), lookup.Option("--role")));
    }

    [Fact]
    public async Task Postprovision_attaches_the_references_retrying_until_Container_Apps_can_resolve_them()
    {
        using var sandbox = new HookSandbox().Stub("azd").Answer("az", AppShow,
            ContainerApp("mcr.microsoft.com/azure-functions/dotnet-isolated:4-dotnet-isolated10.0", withKeyVaultReferences: false),
            ContainerApp("placeholder", state: "Failed"),
            ContainerApp("placeholder"));

        var result = await sandbox.RunAsync("postprovision.sh", AttachEnvironment);

        Assert.True(result.ExitCode == 0, result.Describe());
        var calls = sandbox.Calls();
        var patches = calls.Where(call => call.Is("az", "rest")).ToList();
        Assert.Equal(2, patches.Count);
        Assert.All(patches, patch => Assert.Equal(("patch", $"{AppId}?api-version=2025-07-01"), (patch.Option("--method"), patch.Option("--url"))));

        var body = JsonNode.Parse(sandbox.Captured(Path.GetFileName(patches[^1].Option("--body")![1..])).Content)!["properties"]!.AsObject();
        Assert.Equal(["configuration", "template"], body.Select(property => property.Key));
        Assert.Equal(["secrets"], body["configuration"]!.AsObject().Select(property => property.Key));
        Assert.Equal(["containers"], body["template"]!.AsObject().Select(property => property.Key));
        var secret = Assert.Single(body["configuration"]!["secrets"]!.AsArray())!;
        Assert.Equal(("auth-session-secret-0", "https://kv-test.vault.azure.net/secrets/auth-session-secret-0", IdentityId),
            (Json.Text(secret["name"]), Json.Text(secret["keyVaultUrl"]), Json.Text(secret["identity"])));
        Assert.Null(secret["value"]);
        var env = body["template"]!["containers"]![0]!["env"]!.AsArray().Select(setting => setting!.ToJsonString()).ToList();
        Assert.Equal(
            ["""{"name":"FUNCTIONS_WORKER_RUNTIME","value":"dotnet-isolated"}""", """{"name":"IngestQueueName","value":"recording-ingest"}""",
             """{"name":"Auth__SessionSecrets__0","secretRef":"auth-session-secret-0"}"""],
            env);

        Assert.Equal("env set RECORDER_APP_SECRETS_FROM_KEY_VAULT true", Assert.Single(calls, call => call.Command == "azd").Line);
    }

    [Fact]
    public async Task Postprovision_gives_up_naming_the_grant_when_the_references_never_resolve()
    {
        using var sandbox = new HookSandbox().Stub("azd").Answer("az", AppShow, ContainerApp("placeholder", withKeyVaultReferences: false), ContainerApp("placeholder", state: "Failed"));

        var result = await sandbox.RunAsync("postprovision.sh", new Dictionary<string, string>(AttachEnvironment) { ["RECORDER_KEY_VAULT_ATTACH_ATTEMPTS"] = "3" });

        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.Equal(3, sandbox.Calls().Count(call => call.Is("az", "rest")));
        Assert.Contains("Key Vault Secrets User", result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(sandbox.Calls(), call => call.Command == "azd");
    }

    private static readonly Dictionary<string, string> AttachEnvironment = new()
    {
        ["RECORDER_SKIP_MIGRATIONS"] = "true",
        ["RECORDER_APP_SECRETS_FROM_KEY_VAULT"] = "false",
        ["RECORDER_HOOK_POLL_SECONDS"] = "0",
        ["AZURE_RESOURCE_GROUP"] = ResourceGroup,
        ["SERVICE_FUNCTIONS_NAME"] = AppName,
        ["APP_IDENTITY_ID"] = IdentityId,
        ["APP_KEY_VAULT_REFERENCES"] = """[{"name":"auth-session-secret-0","keyVaultUrl":"https://kv-test.vault.azure.net/secrets/auth-session-secret-0"}]""",
        ["APP_KEY_VAULT_SETTINGS"] = """[{"name":"Auth__SessionSecrets__0","secretRef":"auth-session-secret-0"}]""",
    };

    // As `az keyvault list-deleted` lists a vault.
    private static JsonObject DeletedVault(string name, string environment, string location, string resourceGroup) => new()
    {
        ["id"] = $"/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.KeyVault/locations/{location}/deletedVaults/{name}",
        ["name"] = name,
        ["type"] = "Microsoft.KeyVault/deletedVaults",
        ["properties"] = new JsonObject
        {
            ["vaultId"] = $"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/{resourceGroup}/providers/Microsoft.KeyVault/vaults/{name}",
            ["location"] = location,
            ["deletionDate"] = "2026-01-10T10:00:00+00:00",
            ["scheduledPurgeDate"] = "2026-04-10T10:00:00+00:00",
            ["purgeProtectionEnabled"] = true,
            ["tags"] = new JsonObject { ["azd-env-name"] = environment },
        },
    };
}
