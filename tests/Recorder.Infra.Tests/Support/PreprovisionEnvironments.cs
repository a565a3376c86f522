namespace Recorder.Infra.Tests.Support;

/// <summary>What azd hands preprovision.sh in an environment that was provisioned before (a copy per use: tests add to it).</summary>
public static class PreprovisionEnvironments
{
    public static Dictionary<string, string> ExistingDeployment() => new()
    {
        ["RECORDER_ALERT_EMAIL"] = "ops@example.test",
        ["RECORDER_JWT_ISSUER"] = "https://app.example.test",
        ["AZURE_ENV_NAME"] = "test",
        ["AZURE_LOCATION"] = "westeurope",
        ["AZURE_SUBSCRIPTION_ID"] = "00000000-0000-0000-0000-000000000000",
        ["AZURE_RESOURCE_GROUP"] = "rg-test",
        ["AZURE_KEY_VAULT_NAME"] = "kv-test",
        ["POSTGRES_SERVER_NAME"] = "psql-test",
    };
}
