using System.Text.Json.Nodes;
using Recorder.Infra.Tests.Support;
using Xunit;

namespace Recorder.Infra.Tests;

/// <summary>
/// Issue 21, part A: the seed's 7-year backups. An Azure Backup vault (immutable, soft-deleting, geo-redundant by
/// default) keeps a weekly backup of the PostgreSQL server and of the recordings containers for
/// <c>longTermBackupYears</c>; its identity holds the roles each backup needs; one parameter removes all of it; the
/// erasure ledger is an immutable container kept as long as any backup it may be replayed onto. Read from the
/// compiled ARM JSON.
/// </summary>
[Collection(BicepCollection.Name)]
public sealed class LongTermBackupTests(BicepFixture bicep)
{
    private const string Deployment = "backup-vault";
    private const string VaultPrincipal = "[reference('vault', '2025-01-01', 'full').identity.principalId]";

    [Fact]
    public void The_vault_is_immutable_soft_deleting_and_geo_redundant_by_default()
    {
        var module = bicep.Main.Module(Deployment);
        var vault = Assert.Single(module.ResourcesOfType("Microsoft.DataProtection/backupVaults"));
        var properties = vault["properties"]!;

        Assert.Equal("SystemAssigned", Json.Text(vault["identity"]!["type"]));
        Assert.Equal("[parameters('immutabilityState')]", Json.Text(properties["securitySettings"]!["immutabilitySettings"]!["state"]));
        Assert.Equal(["Unlocked", "Locked"], Json.Strings(module.Parameters["immutabilityState"]!["allowedValues"]));
        Assert.Equal("On", Json.Text(properties["securitySettings"]!["softDeleteSettings"]!["state"]));
        Assert.True(Json.Number(module.DefaultOf("softDeleteRetentionDays")) >= 14);

        var storage = Assert.Single(properties["storageSettings"]!.AsArray())!;
        Assert.Equal("VaultStore", Json.Text(storage["datastoreType"]));
        Assert.Equal("[parameters('redundancy')]", Json.Text(storage["type"]));
        Assert.Equal("GeoRedundant", Json.Text(bicep.Main.DefaultOf("longTermBackupRedundancy")));
        Assert.Equal("[parameters('longTermBackupRedundancy')]", Json.Text(bicep.Main.ModuleParameter(Deployment, "redundancy")));
        Assert.Equal("[if(equals(parameters('redundancy'), 'GeoRedundant'), 'Enabled', 'Disabled')]",
            Json.Text(properties["featureSettings"]!["crossRegionRestoreSettings"]!["state"]));
    }

    [Fact]
    public void PostgreSQL_and_the_recordings_containers_are_backed_up_weekly_and_kept_seven_years()
    {
        var main = bicep.Main;
        var module = main.Module(Deployment);
        Assert.Equal(7, Json.Number(main.DefaultOf("longTermBackupYears")));
        Assert.Equal(10, Json.Number(main.Parameters["longTermBackupYears"]!["maxValue"]));
        Assert.Equal("[parameters('longTermBackupYears')]", Json.Text(main.ModuleParameter(Deployment, "retentionYears")));
        Assert.Equal("${RECORDER_LONG_TERM_BACKUP_YEARS=7}", Parameter("longTermBackupYears"));

        var policies = module.Variables["policies"]!.AsArray().OfType<JsonObject>().ToList();
        Assert.Equal(
            ["Microsoft.DBforPostgreSQL/flexibleServers", "Microsoft.Storage/storageAccounts/blobServices"],
            policies.Select(policy => Json.Text(policy["datasourceType"])));
        var policy = Assert.Single(module.ResourcesOfType("Microsoft.DataProtection/backupVaults/backupPolicies"));
        Assert.Equal("[length(variables('policies'))]", Json.Text(policy["copy"]!["count"]));
        var rules = policy["properties"]!["policyRules"]!.AsArray().OfType<JsonObject>().ToList();

        var backup = rules.Single(rule => Json.Text(rule["objectType"]) == "AzureBackupRule");
        Assert.Equal("VaultStore", Json.Text(backup["dataStore"]!["dataStoreType"]));
        Assert.Equal("[variables('weeklySchedule')]", Json.Text(backup["trigger"]!["schedule"]!["repeatingTimeIntervals"]![0]));
        Assert.EndsWith("/P1W", Json.Text(module.Variables["weeklySchedule"]), StringComparison.Ordinal);

        var retention = rules.Single(rule => Json.Text(rule["objectType"]) == "AzureRetentionRule");
        Assert.True(Json.IsTrue(retention["isDefault"]));
        var lifecycle = Assert.Single(retention["lifecycles"]!.AsArray())!;
        Assert.Equal("VaultStore", Json.Text(lifecycle["sourceDataStore"]!["dataStoreType"]));
        Assert.Equal("[format('P{0}Y', parameters('retentionYears'))]", Json.Text(lifecycle["deleteAfter"]!["duration"]));

        // The server and the recordings containers, each under its own policy.
        var instances = module.ResourcesOfType("Microsoft.DataProtection/backupVaults/backupInstances").ToList();
        Assert.Equal(2, instances.Count);
        var server = instances.Single(instance => Json.Text(instance["properties"]!["dataSourceInfo"]!["datasourceType"])
            == "Microsoft.DBforPostgreSQL/flexibleServers");
        Assert.Contains("variables('policies')[0].name", Json.Text(server["properties"]!["policyInfo"]!["policyId"]), StringComparison.Ordinal);
        var blobs = instances.Single(instance => instance != server);
        Assert.Contains("variables('policies')[1].name", Json.Text(blobs["properties"]!["policyInfo"]!["policyId"]), StringComparison.Ordinal);
        Assert.Equal("[parameters('containerNames')]",
            Json.Text(blobs["properties"]!["policyInfo"]!["policyParameters"]!["backupDatasourceParametersList"]![0]!["containersList"]));
        Assert.Equal(
            ["[variables('uploadsContainer')]", "[variables('processedContainer')]", "[variables('thumbnailsContainer')]"],
            Json.Strings(main.ModuleParameter(Deployment, "containerNames")));
        Assert.Equal("[reference('postgres').outputs.name.value]", Json.Text(main.ModuleParameter(Deployment, "postgresServerName")));
    }

    public static TheoryData<string, string, string> VaultGrants() => new()
    {
        // The vault starts the server's long-term backups, and reads its resource group (the datasource manifest).
        { "PostgreSQL Flexible Server Long Term Retention Backup Role", "c088a766-074b-43ba-90d4-1fb21feae531",
            "[resourceId('Microsoft.DBforPostgreSQL/flexibleServers', parameters('postgresServerName'))]" },
        { "Reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7", "" },
        { "Storage Account Backup Contributor", "e5e2a7ff-d759-4cd2-bb51-3152d37e2eb1",
            "[resourceId('Microsoft.Storage/storageAccounts', parameters('storageAccountName'))]" },
    };

    [Theory]
    [MemberData(nameof(VaultGrants))]
    public void The_vault_identity_is_granted_by_role_definition_id(string roleName, string roleDefinitionGuid, string scope)
    {
        var module = bicep.Main.Module(Deployment);
        Assert.Equal(roleDefinitionGuid, Json.Text(module.Variables["builtInRoleIds"]?[roleName]));
        var assignment = Assert.Single(
            module.ResourcesOfType("Microsoft.Authorization/roleAssignments"),
            assignment => Json.Text(module.Variables[RoleVariable(assignment)])!.Contains(
                roleName.Contains(' ', StringComparison.Ordinal) ? $"['{roleName}']" : $".{roleName})", StringComparison.Ordinal));
        Assert.Equal(VaultPrincipal, Json.Text(assignment["properties"]!["principalId"]));
        Assert.Equal(scope, Json.Text(assignment["scope"]) ?? "");
        Assert.StartsWith("[guid(", Json.Text(assignment["name"]), StringComparison.Ordinal);
        Assert.Contains("resourceId('Microsoft.DataProtection/backupVaults', parameters('name'))", Json.Text(assignment["name"]),
            StringComparison.Ordinal);
    }

    [Fact]
    public void The_backups_are_configured_only_after_their_roles_are_granted()
    {
        var module = bicep.Main.Module(Deployment);
        var grants = module.ResourcesOfType("Microsoft.Authorization/roleAssignments").Select(RoleVariable).ToList();
        Assert.Equal(3, grants.Count);
        var dependencies = module.ResourcesOfType("Microsoft.DataProtection/backupVaults/backupInstances")
            .SelectMany(instance => Json.Strings(instance["dependsOn"]))
            .ToList();
        Assert.Contains("postgresBackupGrant", dependencies);
        Assert.Contains("resourceGroupReaderGrant", dependencies);
        Assert.Contains("storageBackupGrant", dependencies);
    }

    [Fact]
    public void The_off_switch_removes_the_vault_its_policies_and_its_grants()
    {
        var main = bicep.Main;
        Assert.Equal("[parameters('enableLongTermBackup')]", Json.Text(main.Deployment(Deployment)["condition"]));
        Assert.True(Json.IsTrue(main.DefaultOf("enableLongTermBackup")));
        Assert.Equal("${RECORDER_LONG_TERM_BACKUP=true}", Parameter("enableLongTermBackup"));
        Assert.Equal("[if(parameters('enableLongTermBackup'), reference('backupVault').outputs.name.value, '')]",
            Json.Text(main.Outputs["BACKUP_VAULT_NAME"]!["value"]));

        // Nothing of the vault is deployed anywhere else, so the switch takes all of it away.
        var elsewhere = main.SelfAndNested().Where(template => template.Path != $"main.bicep > {Deployment}")
            .SelectMany(template => template.Resources)
            .Where(resource => (Json.Text(resource["type"]) ?? "").StartsWith("Microsoft.DataProtection/", StringComparison.OrdinalIgnoreCase)
                || Json.Raw(resource).Contains("backupVaults", StringComparison.OrdinalIgnoreCase)
                    && !Json.Raw(resource).Contains("\"name\":\"backup-vault\"", StringComparison.Ordinal))
            .ToList();
        Assert.Empty(elsewhere);
    }

    [Fact]
    public void The_erasure_ledger_is_an_immutable_container_that_outlives_every_backup()
    {
        var main = bicep.Main;
        var ledger = Assert.Single(main.ModuleParameter("recordings-storage", "immutableContainers")!.AsArray())!;
        Assert.Equal("[variables('erasureLedgerContainer')]", Json.Text(ledger["name"]));
        Assert.Equal("erasure-ledger", Json.Text(main.Variables["erasureLedgerContainer"]));
        Assert.Equal("[variables('erasureLedgerImmutabilityDays')]", Json.Text(ledger["immutabilityPeriodDays"]));
        // The vault's years (leap days included) plus point-in-time restore's 35 days; 35 days without the vault.
        Assert.Equal("[add(if(parameters('enableLongTermBackup'), mul(parameters('longTermBackupYears'), 366), 0), 35)]",
            Json.Text(main.Variables["erasureLedgerImmutabilityDays"]));

        var storage = main.Module("recordings-storage");
        var policy = Assert.Single(storage.ResourcesOfType("Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies"));
        Assert.EndsWith("'default')]", Json.Text(policy["name"]), StringComparison.Ordinal);
        Assert.Equal("[parameters('immutableContainers')[copyIndex()].immutabilityPeriodDays]",
            Json.Text(policy["properties"]!["immutabilityPeriodSinceCreationInDays"]));
        Assert.True(Json.IsFalse(policy["properties"]!["allowProtectedAppendWrites"]));

        var rules = main.ModuleParameter("recordings-storage", "lifecycleRules")!.AsArray().OfType<JsonObject>();
        var expiry = rules.Single(rule => Json.Text(rule["name"]) == "expire-erasure-ledger")["definition"]!;
        Assert.Equal(["[format('{0}/', variables('erasureLedgerContainer'))]"], Json.Strings(expiry["filters"]!["prefixMatch"]));
        Assert.Equal("[variables('erasureLedgerImmutabilityDays')]",
            Json.Text(expiry["actions"]!["baseBlob"]!["delete"]!["daysAfterCreationGreaterThan"]));
        Assert.Contains("createObject('name', 'Storage__ErasureLedgerContainer', 'value', variables('erasureLedgerContainer'))",
            bicep.CompiledText("main.bicep"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_vault_sends_its_logs_to_Log_Analytics()
    {
        var module = bicep.Main.Module(Deployment);
        var setting = Assert.Single(module.ResourcesOfType("Microsoft.Insights/diagnosticSettings"));
        Assert.Equal("[resourceId('Microsoft.DataProtection/backupVaults', parameters('name'))]", Json.Text(setting["scope"]));
        Assert.Equal("[parameters('logAnalyticsWorkspaceId')]", Json.Text(setting["properties"]!["workspaceId"]));
    }

    private static string RoleVariable(JsonObject assignment)
        => Json.Text(assignment["properties"]!["roleDefinitionId"])!.Replace("[variables('", "").Replace("')]", "");

    private static string? Parameter(string name)
        => Json.Text(JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.BicepDirectory, "main.parameters.json")))!["parameters"]![name]!["value"]);
}
