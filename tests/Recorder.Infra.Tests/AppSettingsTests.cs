using System.Text.RegularExpressions;
using Npgsql;
using Recorder.Infra.Tests.Support;
using Xunit;

namespace Recorder.Infra.Tests;

/// <summary>
/// The Functions container's app settings, as compiled: the keys the app reads (docs/operations.md),
/// identity-based connections, secrets only as Key Vault references, every setting a trigger names,
/// and database connection strings the app's Npgsql accepts, with no password.
/// </summary>
[Collection(BicepCollection.Name)]
public sealed partial class AppSettingsTests(BicepFixture bicep)
{
    public static TheoryData<string> RequiredSettings() => new(
    [
        "FUNCTIONS_WORKER_RUNTIME",
        "AzureWebJobsStorage__blobServiceUri",
        "AzureWebJobsStorage__queueServiceUri",
        "AzureWebJobsStorage__tableServiceUri",
        "AzureWebJobsStorage__credential",
        "AzureWebJobsStorage__clientId",
        "AzureWebJobsSecretStorageType",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
        "RecordingsStorage__blobServiceUri",
        "RecordingsStorage__queueServiceUri",
        "RecordingsStorage__credential",
        "RecordingsStorage__clientId",
        "Storage__UploadsContainer",
        "Storage__ProcessedContainer",
        "Storage__ThumbnailsContainer",
        "Storage__ExportsContainer",
        "Storage__DeadLetterContainer",
        "Storage__ErasureLedgerContainer",
        "Database__AppConnectionString",
        "Database__MaintenanceConnectionString",
        "Database__UseEntraAuthentication",
        "Database__ManagedIdentityClientId",
        "Auth__SessionSecrets__N",
        "Auth__Jwt__HmacSecret",
        "Auth__Jwt__Issuer",
        "Auth__Jwt__Audience",
        "Auth__SessionTimeZone",
        "Cors__AllowedOrigins__N",
        "IngestQueueName",
        "Ingest__StorageAccountTopic",
        "PartitionMaintenanceSchedule",
        "StaleSessionSweepSchedule",
        "LifecycleSweepSchedule",
        "IngestRecoverySweepSchedule",
        "AlertsCheckSchedule",
        "Alerts__DatabaseSizeBudgetBytes",
        "PrivacySweepSchedule",
        "RecordingEventsDeliverySchedule",
        "Webhooks__Url",
        "Webhooks__Secret",
        "PrivacyExportQueueName",
        "PrivacyErasureQueueName",
        "Sas__UploadUrlLifetime",
        "Recordings__MaxFileSizeBytes",
        "Http__TrustedProxyHops",
    ]);

    [Theory]
    [MemberData(nameof(RequiredSettings))]
    public void The_app_gets_the_setting(string name)
        => Assert.True(Settings().ContainsKey(name), $"{name} is not among the app settings: {string.Join(", ", Settings().Keys.Order(StringComparer.Ordinal))}");

    [Fact]
    public void Connections_use_the_managed_identity()
    {
        var text = bicep.CompiledText("main.bicep");
        Assert.Contains("createObject('name', 'RecordingsStorage__credential', 'value', 'managedidentity')", text, StringComparison.Ordinal);
        Assert.Contains("createObject('name', 'AzureWebJobsStorage__credential', 'value', 'managedidentity')", text, StringComparison.Ordinal);
        Assert.Contains("createObject('name', 'RecordingsStorage__clientId', 'value', reference('appIdentity').outputs.clientId.value)", text, StringComparison.Ordinal);
        Assert.Contains("createObject('name', 'Database__UseEntraAuthentication', 'value', 'true')", text, StringComparison.Ordinal);
        Assert.Contains("createObject('name', 'Ingest__StorageAccountTopic', 'value', reference('recordingsStorage').outputs.id.value)", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Settings().Keys, name => name is "RecordingsStorage" or "AzureWebJobsStorage");
    }

    [Theory]
    [InlineData("Auth__SessionSecrets__N")]
    [InlineData("Auth__Jwt__HmacSecret")]
    [InlineData("Webhooks__Secret")]
    public void Secrets_are_Key_Vault_references(string name)
    {
        Assert.Equal("secretRef", Settings()[name]);
        // The references Bicep gives the app (postprovision attaches them while its Key Vault grant is new: KeyVaultProvisionTests).
        var references = Json.Raw(bicep.Main.Deployment("functions-app")["properties"]!["parameters"]!["keyVaultSecrets"]);
        Assert.Contains("format('{0}secrets/{1}', reference('keyVault').outputs.uri.value", references, StringComparison.Ordinal);
        var app = bicep.Main.Module("functions-app").ResourcesOfType("Microsoft.App/containerApps").Single();
        var secrets = Json.Raw(app["properties"]!["configuration"]);
        Assert.Contains("keyVaultUrl", secrets, StringComparison.Ordinal);
        Assert.Contains("identityId", secrets, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_secrets_are_secret_references()
        => Assert.Equal(
            ["Auth__Jwt__HmacSecret", "Auth__SessionSecrets__N", "Webhooks__Secret"],
            Settings().Where(setting => setting.Value == "secretRef").Select(setting => setting.Key).Order(StringComparer.Ordinal));

    [Fact]
    public void Every_setting_a_trigger_names_is_an_app_setting()
    {
        var sources = Directory.EnumerateFiles(Repository.File("functions", "Recorder.Functions"), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText)
            .ToList();
        var placeholders = sources.SelectMany(source => Placeholder().Matches(source)).Select(match => match.Groups[1].Value).Distinct().ToList();
        var connections = sources.SelectMany(source => ConnectionName().Matches(source)).Select(match => match.Groups[1].Value).Distinct().ToList();
        Assert.Contains("IngestQueueName", placeholders);
        Assert.Contains("RecordingsStorage", connections);

        var settings = Settings();
        Assert.All(placeholders, name => Assert.True(settings.ContainsKey(name), $"trigger setting %{name}% is not an app setting"));
        Assert.All(connections, name =>
        {
            Assert.True(settings.ContainsKey($"{name}__queueServiceUri"), $"connection {name} has no {name}__queueServiceUri");
            Assert.True(settings.ContainsKey($"{name}__credential"), $"connection {name} has no {name}__credential");
        });
    }

    [Theory]
    [InlineData("Database__AppConnectionString", "recorder_app")]
    [InlineData("Database__MaintenanceConnectionString", "recorder_maintenance")]
    public void Database_connections_log_in_as_the_identity_without_a_password_and_take_their_role(string setting, string role)
    {
        var match = Regex.Match(
            bicep.CompiledText("main.bicep"),
            $@"createObject\('name', '{setting}', 'value', format\('\{{0\}};([^']*)', format\('([^']*)', ");
        Assert.True(match.Success, $"{setting} not found in the compiled settings");
        var connectionString = match.Groups[2].Value
            .Replace("{0}", "psql-abc.postgres.database.azure.com", StringComparison.Ordinal)
            .Replace("{1}", "recorder", StringComparison.Ordinal)
            .Replace("{2}", "id-recorder-abc", StringComparison.Ordinal)
            .Replace("{3}", Json.Text(bicep.Main.DefaultOf("postgresSslMode")), StringComparison.Ordinal)
            + ";" + match.Groups[1].Value;

        var parsed = new NpgsqlConnectionStringBuilder(connectionString);
        Assert.Equal("psql-abc.postgres.database.azure.com", parsed.Host);
        Assert.Equal("recorder", parsed.Database);
        Assert.Equal("id-recorder-abc", parsed.Username);
        Assert.Null(parsed.Password);
        Assert.Equal(SslMode.VerifyFull, parsed.SslMode);
        Assert.Equal($"-c role={role}", parsed.Options);
        Assert.DoesNotContain("Password", connectionString, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>App setting names of the compiled template, with the kind of their value ("value" or "secretRef"); loops as __N.</summary>
    private Dictionary<string, string> Settings()
    {
        var text = bicep.CompiledText("main.bicep");
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match match in InlineSetting().Matches(text))
        {
            settings[match.Groups[1].Value] = match.Groups[2].Value;
        }
        foreach (Match match in LoopSetting().Matches(text))
        {
            settings[match.Groups[1].Value + "N"] = match.Groups[2].Value;
        }
        return settings;
    }

    [GeneratedRegex(@"createObject\('name', '([A-Za-z0-9_]+)', '(value|secretRef)'")]
    private static partial Regex InlineSetting();

    [GeneratedRegex(@"""name"": ""\[format\('([A-Za-z0-9_]+__)\{0\}', copyIndex\('\w+'\)\)\]"",\s*""(value|secretRef)""")]
    private static partial Regex LoopSetting();

    [GeneratedRegex(@"""%([A-Za-z0-9_]+)%")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"Connection\s*=\s*""([A-Za-z0-9_]+)""")]
    private static partial Regex ConnectionName();
}
