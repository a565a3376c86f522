using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Recorder.Infra.Tests.Support;

/// <summary>
/// Canned Azure answers for the hook tests: who az and azd are signed in as, and the Functions container app as
/// <c>az containerapp show --output json</c> returns it.
/// </summary>
public static class AzureStandIns
{
    public const string ResourceGroup = "rg-test";
    public const string AppName = "ca-functions";
    public const string IdentityId = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-test/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-recorder-test";
    public const string AppId = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-test/providers/Microsoft.App/containerApps/ca-functions";

    /// <summary>The queues the app's functions are triggered by, as main.bicep outputs them (FUNCTIONS_TRIGGER_QUEUES).</summary>
    public static readonly string[] TriggerQueues = ["recording-ingest", "recording-ingest-poison", "privacy-export", "privacy-erasure"];

    /// <summary>The pattern of <c>functions_app_json</c> (infra/hooks/lib.sh).</summary>
    public const string AppShow = "containerapp show *--output json";

    /// <summary>az signed in as a user with this object id, azd as the principal <paramref name="azdObjectId"/>.</summary>
    public static HookSandbox SignedIn(this HookSandbox sandbox, string azObjectId, string azdObjectId, string userPrincipalName = "ada@example.test")
        => sandbox
            .Answer("az", "account show --query user.type -o tsv", new StubAnswer("user\n"))
            .Answer("az", "ad signed-in-user show --query userPrincipalName -o tsv", new StubAnswer(userPrincipalName + "\n"))
            .Answer("az", "ad signed-in-user show --query id -o tsv", new StubAnswer(azObjectId + "\n"))
            .Answer("azd", "auth token --output json", new StubAnswer(JsonSerializer.Serialize(new { token = AccessToken(azdObjectId), expiresOn = "2030-01-01T00:00:00Z" })));

    /// <summary>A JWT-shaped access token whose payload names <paramref name="objectId"/> as its oid (unsigned: the hooks only read it).</summary>
    public static string AccessToken(string objectId)
    {
        static string Part(object value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{Part(new { alg = "RS256", typ = "JWT" })}.{Part(new { oid = objectId, aud = "https://management.azure.com", name = "Ada ~~ Lovelace??" })}.c2lnbmF0dXJl";
    }

    /// <summary>
    /// The Functions container app: its image, provisioning state, latest and latest ready revision, a queue scale rule
    /// (as the platform derives them: custom azure-queue rules with the identity) for each of <paramref name="ruledQueues"/>,
    /// and the Key Vault references unless <paramref name="withKeyVaultReferences"/> is false.
    /// </summary>
    public static StubAnswer ContainerApp(
        string image,
        string state = "Succeeded",
        string latestRevision = "ca-functions--rev1",
        string readyRevision = "ca-functions--rev1",
        IEnumerable<string>? ruledQueues = null,
        bool withKeyVaultReferences = true)
    {
        var secrets = withKeyVaultReferences
            ? new JsonArray(new JsonObject { ["name"] = "auth-session-secret-0", ["keyVaultUrl"] = "https://kv-test.vault.azure.net/secrets/auth-session-secret-0", ["identity"] = IdentityId })
            : [];
        var env = new JsonArray(
            new JsonObject { ["name"] = "FUNCTIONS_WORKER_RUNTIME", ["value"] = "dotnet-isolated" },
            new JsonObject { ["name"] = "IngestQueueName", ["value"] = "recording-ingest" });
        if (withKeyVaultReferences)
        {
            env.Add(new JsonObject { ["name"] = "Auth__SessionSecrets__0", ["secretRef"] = "auth-session-secret-0" });
        }
        var rules = new JsonArray((ruledQueues ?? TriggerQueues).Select(queue => (JsonNode)new JsonObject
        {
            ["name"] = queue.Replace("-", "", StringComparison.Ordinal),
            ["custom"] = new JsonObject
            {
                ["type"] = "azure-queue",
                ["metadata"] = new JsonObject { ["accountName"] = "sttest", ["queueName"] = queue, ["queueLength"] = "1" },
                ["identity"] = IdentityId,
            },
        }).ToArray());
        var app = new JsonObject
        {
            ["id"] = AppId,
            ["name"] = AppName,
            ["kind"] = "functionapp",
            ["properties"] = new JsonObject
            {
                ["provisioningState"] = state,
                ["latestRevisionName"] = latestRevision,
                ["latestReadyRevisionName"] = readyRevision,
                ["configuration"] = new JsonObject
                {
                    ["activeRevisionsMode"] = "Single",
                    ["secrets"] = secrets,
                    ["ingress"] = new JsonObject { ["external"] = true, ["targetPort"] = 80 },
                },
                ["template"] = new JsonObject
                {
                    ["containers"] = new JsonArray(new JsonObject
                    {
                        ["name"] = "functions",
                        ["image"] = image,
                        ["env"] = env,
                        ["resources"] = new JsonObject { ["cpu"] = 2.0, ["memory"] = "4Gi", ["ephemeralStorage"] = "8Gi" },
                    }),
                    ["scale"] = new JsonObject { ["minReplicas"] = 1, ["maxReplicas"] = 10, ["rules"] = rules },
                },
            },
        };
        return new StubAnswer(app.ToJsonString());
    }
}
