using System.Text.Json.Nodes;
using Recorder.Infra.Tests.Support;
using Xunit;

namespace Recorder.Infra.Tests;

/// <summary>
/// Issue 17, items 3 and 4: a provision after the server exists keeps what cannot change (the storage it grew to, the
/// backup redundancy it was created with), the database-size budget follows the real size, geo-redundant backup is a
/// parameter with the secure default, and high availability on the Burstable tier is refused before anything deploys.
/// </summary>
[Collection(BicepCollection.Name)]
public sealed class PostgresProvisionTests(BicepFixture bicep)
{
    [Theory]
    [InlineData(null, "256")]   // never set: the real size
    [InlineData("128", "256")]  // the template default the server grew from
    [InlineData("512", null)]   // an operator growing it: kept
    [InlineData("256", null)]   // already the real size
    public async Task Preprovision_carries_the_storage_the_server_grew_to_forward(string? configured, string? expectedSet)
    {
        using var sandbox = Preprovision(storageSizeGb: 256, geoRedundantBackup: "Enabled");
        var environment = PreprovisionEnvironments.ExistingDeployment();
        if (configured is not null)
        {
            environment["RECORDER_POSTGRES_STORAGE_GB"] = configured;
        }

        var result = await sandbox.RunAsync("preprovision.sh", environment);

        Assert.True(result.ExitCode == 0, result.Describe());
        var show = Assert.Single(sandbox.Calls(), call => call.Is("az", "postgres flexible-server show"));
        Assert.Equal(("rg-test", "psql-test"), (show.Option("--resource-group"), show.Option("--name")));
        Assert.Equal(
            expectedSet is null ? [] : [$"env set RECORDER_POSTGRES_STORAGE_GB {expectedSet}"],
            EnvSets(sandbox, "RECORDER_POSTGRES_STORAGE_GB"));
    }

    [Fact]
    public void The_storage_size_and_the_database_size_budget_come_from_the_carried_forward_parameter()
    {
        var main = bicep.Main;
        Assert.Equal("${RECORDER_POSTGRES_STORAGE_GB=128}", Parameter("postgresStorageSizeGB"));
        Assert.Equal("[parameters('postgresStorageSizeGB')]", Json.Text(main.ModuleParameter("postgres", "storageSizeGB")));
        Assert.Equal("[parameters('storageSizeGB')]", Json.Text(Server()["storage"]!["storageSizeGB"]));
        Assert.Equal("Enabled", Json.Text(Server()["storage"]!["autoGrow"]));
        Assert.Contains("createObject('name', 'Alerts__DatabaseSizeBudgetBytes', 'value', string(mul(parameters('postgresStorageSizeGB'), 1073741824)))",
            bicep.CompiledText("main.bicep"), StringComparison.Ordinal);
    }

    [Fact]
    public void Geo_redundant_backup_is_a_parameter_defaulting_to_on()
    {
        var main = bicep.Main;
        Assert.Equal("[if(parameters('geoRedundantBackup'), 'Enabled', 'Disabled')]", Json.Text(Server()["backup"]!["geoRedundantBackup"]));
        Assert.True(Json.IsTrue(main.DefaultOf("postgresGeoRedundantBackup")));
        Assert.Equal("[parameters('postgresGeoRedundantBackup')]", Json.Text(main.ModuleParameter("postgres", "geoRedundantBackup")));
        Assert.Equal("${RECORDER_POSTGRES_GEO_BACKUP=true}", Parameter("postgresGeoRedundantBackup"));
        Assert.Contains("region", Json.Text(main.Parameters["postgresGeoRedundantBackup"]!["metadata"]!["description"]), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Disabled", null, "false")]
    [InlineData("Disabled", "true", "false")]
    [InlineData("Enabled", "false", "true")]
    [InlineData("Enabled", null, null)]
    public async Task Preprovision_keeps_the_backup_redundancy_the_server_was_created_with(string onServer, string? configured, string? expectedSet)
    {
        using var sandbox = Preprovision(storageSizeGb: 128, geoRedundantBackup: onServer);
        var environment = PreprovisionEnvironments.ExistingDeployment();
        environment["RECORDER_POSTGRES_STORAGE_GB"] = "128";
        if (configured is not null)
        {
            environment["RECORDER_POSTGRES_GEO_BACKUP"] = configured;
        }

        var result = await sandbox.RunAsync("preprovision.sh", environment);

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Equal(expectedSet is null ? [] : [$"env set RECORDER_POSTGRES_GEO_BACKUP {expectedSet}"], EnvSets(sandbox, "RECORDER_POSTGRES_GEO_BACKUP"));
    }

    [Theory]
    [InlineData("16", null, "16")]
    [InlineData("17", null, "17")]
    [InlineData("16", "17", null)]
    public async Task Preprovision_keeps_an_existing_servers_major_version_unless_an_upgrade_is_asked_for(
        string onServer, string? configured, string? expectedSet)
    {
        using var sandbox = Preprovision(storageSizeGb: 128, geoRedundantBackup: "Enabled", version: onServer);
        var environment = PreprovisionEnvironments.ExistingDeployment();
        environment["RECORDER_POSTGRES_STORAGE_GB"] = "128";
        if (configured is not null)
        {
            environment["RECORDER_POSTGRES_VERSION"] = configured;
        }

        var result = await sandbox.RunAsync("preprovision.sh", environment);

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Equal(expectedSet is null ? [] : [$"env set RECORDER_POSTGRES_VERSION {expectedSet}"], EnvSets(sandbox, "RECORDER_POSTGRES_VERSION"));
        Assert.Equal("${RECORDER_POSTGRES_VERSION=17}", Parameter("postgresVersion"));
    }

    [Fact]
    public async Task Before_the_server_exists_nothing_is_carried_forward()
    {
        using var sandbox = Preprovision(server: new StubAnswer("ResourceNotFound", 3));

        var result = await sandbox.RunAsync("preprovision.sh", PreprovisionEnvironments.ExistingDeployment());

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Empty(EnvSets(sandbox, "RECORDER_POSTGRES_"));
    }

    [Fact]
    public void High_availability_on_the_Burstable_tier_is_refused_before_anything_deploys()
    {
        // In main.bicep's own expressions, evaluated when the deployment is validated (not inside the PostgreSQL module).
        Assert.Equal("[variables('postgresHighAvailability')]", Json.Text(bicep.Main.ModuleParameter("postgres", "zoneRedundantHighAvailability")));
        Assert.Equal(
            "[if(and(parameters('postgresZoneRedundantHighAvailability'), equals(parameters('postgresSkuTier'), 'Burstable')), "
            + "fail('Zone-redundant high availability needs the GeneralPurpose or MemoryOptimized tier, not Burstable.'), "
            + "parameters('postgresZoneRedundantHighAvailability'))]",
            Json.Text(bicep.Main.Variables["postgresHighAvailability"]));
        Assert.Equal("[if(parameters('zoneRedundantHighAvailability'), 'ZoneRedundant', 'Disabled')]", Json.Text(Server()["highAvailability"]!["mode"]));
    }

    private JsonNode Server()
        => bicep.Main.Module("postgres").ResourcesOfType("Microsoft.DBforPostgreSQL/flexibleServers").Single()["properties"]!;

    private static string? Parameter(string name)
        => Json.Text(JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.BicepDirectory, "main.parameters.json")))!["parameters"]![name]!["value"]);

    private static List<string> EnvSets(HookSandbox sandbox, string namePrefix)
        => sandbox.Calls().Where(call => call.Command == "azd" && call.Line.StartsWith("env set " + namePrefix, StringComparison.Ordinal))
            .Select(call => call.Line).ToList();

    // Signed in as one principal; the server as `az postgres flexible-server show` returns it.
    private static HookSandbox Preprovision(int storageSizeGb, string geoRedundantBackup, string version = "17")
        => Preprovision(new StubAnswer(new JsonObject
        {
            ["name"] = "psql-test",
            ["version"] = version,
            ["storage"] = new JsonObject { ["autoGrow"] = "Enabled", ["storageSizeGb"] = storageSizeGb, ["tier"] = "P15" },
            ["backup"] = new JsonObject { ["backupRetentionDays"] = 35, ["geoRedundantBackup"] = geoRedundantBackup },
        }.ToJsonString()));

    private static HookSandbox Preprovision(StubAnswer server)
        => new HookSandbox()
            .SignedIn("object-id-of-ada", "object-id-of-ada")
            .Answer("az", "postgres flexible-server show*", server)
            .Answer("az", "role assignment list*", new StubAnswer("1\n"));
}
