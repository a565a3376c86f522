using System.Text.Json.Nodes;
using Recorder.Infra.Tests.Support;
using Xunit;

namespace Recorder.Infra.Tests;

/// <summary>
/// What the compiled main template (infra/bicep/main.bicep with its modules nested) promises about
/// storage, PostgreSQL, Key Vault, Event Grid, diagnostics and alerts: read from the ARM JSON that
/// would be deployed, not from the Bicep source.
/// </summary>
[Collection(BicepCollection.Name)]
public sealed class TemplatePromisesTests(BicepFixture bicep)
{
    [Theory]
    [MemberData(nameof(StorageAccountDeployments))]
    public void Storage_accepts_only_Entra_identities_over_https_with_TLS_1_2_and_no_anonymous_access(string deployment)
    {
        var account = Single(bicep.Main.Module(deployment), "Microsoft.Storage/storageAccounts")["properties"]!;

        Assert.True(Json.IsFalse(account["allowSharedKeyAccess"]), "shared key access must be off");
        Assert.True(Json.IsTrue(account["defaultToOAuthAuthentication"]));
        Assert.True(Json.IsFalse(account["allowBlobPublicAccess"]), "anonymous blob access must be off");
        Assert.True(Json.IsTrue(account["supportsHttpsTrafficOnly"]));
        // TLS 1.2 is the highest minimum Azure Storage can enforce (1.3 is negotiated when offered).
        Assert.Equal("TLS1_2", Json.Text(account["minimumTlsVersion"]));
        Assert.True(Json.IsTrue(account["encryption"]!["requireInfrastructureEncryption"]));
        Assert.True(Json.IsFalse(account["allowCrossTenantReplication"]));
        Assert.All(
            bicep.Main.Module(deployment).ResourcesOfType("Microsoft.Storage/storageAccounts/blobServices/containers"),
            container => Assert.Equal("None", Json.Text(container["properties"]!["publicAccess"])));
    }

    public static TheoryData<string> StorageAccountDeployments() => new(["recordings-storage", "host-storage"]);

    [Fact]
    public void Recordings_keep_deleted_and_overwritten_blobs_and_deleted_containers()
    {
        var main = bicep.Main;
        var blobService = Single(main.Module("recordings-storage"), "Microsoft.Storage/storageAccounts/blobServices")["properties"]!;

        Assert.True(Json.IsTrue(blobService["deleteRetentionPolicy"]!["enabled"]));
        Assert.True(Json.IsFalse(blobService["deleteRetentionPolicy"]!["allowPermanentDelete"]));
        Assert.True(Json.IsTrue(blobService["containerDeleteRetentionPolicy"]!["enabled"]));
        Assert.Equal("[parameters('enableVersioning')]", Json.Text(blobService["isVersioningEnabled"]));
        Assert.True(Json.IsTrue(main.ModuleParameter("recordings-storage", "enableVersioning")));
        Assert.True(Json.Number(main.DefaultOf("blobSoftDeleteRetentionDays")) >= 7);
        Assert.True(Json.Number(main.DefaultOf("containerSoftDeleteRetentionDays")) >= 7);
        Assert.Equal("[parameters('blobSoftDeleteRetentionDays')]", Json.Text(main.ModuleParameter("recordings-storage", "blobSoftDeleteRetentionDays")));
        Assert.Equal("[parameters('containerSoftDeleteRetentionDays')]", Json.Text(main.ModuleParameter("recordings-storage", "containerSoftDeleteRetentionDays")));
    }

    [Fact]
    public void Recordings_have_the_five_containers_and_the_ingest_queues()
    {
        var main = bicep.Main;
        var containers = main.ModuleParameter("recordings-storage", "containerNames")!.AsArray()
            .Select(name => Json.Text(name)!.Replace("[variables('", "").Replace("')]", ""))
            .ToList();
        Assert.Equal(["uploadsContainer", "processedContainer", "thumbnailsContainer", "exportsContainer", "deadLetterContainer"], containers);
        Assert.Equal(
            ["recordings-uploads", "recordings-processed", "recordings-thumbnails", "recordings-exports", "recordings-deadletter"],
            containers.Select(variable => Json.Text(main.Variables[variable])!));
        Assert.Equal(
            ["[parameters('ingestQueueName')]", "[format('{0}-poison', parameters('ingestQueueName'))]",
             "[parameters('privacyExportQueueName')]", "[format('{0}-poison', parameters('privacyExportQueueName'))]",
             "[parameters('privacyErasureQueueName')]", "[format('{0}-poison', parameters('privacyErasureQueueName'))]"],
            Json.Strings(main.ModuleParameter("recordings-storage", "queueNames")));
    }

    [Fact]
    public void Recordings_cool_down_after_a_setting_and_exports_expire()
    {
        var main = bicep.Main;
        var rules = main.ModuleParameter("recordings-storage", "lifecycleRules")!.AsArray().OfType<JsonObject>().ToList();
        var cool = rules.Single(rule => (string?)rule["name"] == "cool-recordings")["definition"]!;
        var exports = rules.Single(rule => (string?)rule["name"] == "expire-exports")["definition"]!;

        Assert.Equal("[parameters('coolTierAfterDays')]", Json.Text(cool["actions"]!["baseBlob"]!["tierToCool"]!["daysAfterModificationGreaterThan"]));
        Assert.Contains("[format('{0}/', variables('uploadsContainer'))]", Json.Strings(cool["filters"]!["prefixMatch"]));
        Assert.Equal("[parameters('exportsExpireAfterDays')]", Json.Text(exports["actions"]!["baseBlob"]!["delete"]!["daysAfterModificationGreaterThan"]));
        Assert.Equal(["[format('{0}/', variables('exportsContainer'))]"], Json.Strings(exports["filters"]!["prefixMatch"]));
        Assert.NotNull(Single(main.Module("recordings-storage"), "Microsoft.Storage/storageAccounts/managementPolicies"));
    }

    [Fact]
    public void Replication_is_a_parameter_defaulting_to_geo_zone_redundancy()
    {
        var main = bicep.Main;
        var allowed = Json.Strings(main.Parameters["recordingsStorageSkuName"]!["allowedValues"]).ToList();
        Assert.Contains("Standard_GZRS", allowed);
        Assert.Contains("Standard_RAGZRS", allowed);
        Assert.Equal("Standard_GZRS", Json.Text(main.DefaultOf("recordingsStorageSkuName")));
        Assert.Equal("[parameters('recordingsStorageSkuName')]", Json.Text(main.ModuleParameter("recordings-storage", "skuName")));
    }

    [Fact]
    public void Browsers_of_the_recorder_page_may_put_blocks_with_x_ms_headers()
    {
        var main = bicep.Main;
        var cors = Json.Raw(Single(main.Module("recordings-storage"), "Microsoft.Storage/storageAccounts/blobServices")["properties"]!["cors"]);

        Assert.Equal("[variables('corsOrigins')]", Json.Text(main.ModuleParameter("recordings-storage", "corsAllowedOrigins")));
        Assert.Contains("'PUT'", cors, StringComparison.Ordinal);
        Assert.Contains("'OPTIONS'", cors, StringComparison.Ordinal);
        Assert.Contains("'x-ms-*'", cors, StringComparison.Ordinal);
        Assert.Contains("'etag'", cors, StringComparison.Ordinal);
    }

    [Fact]
    public void Encryption_at_rest_can_use_a_customer_managed_key_from_Key_Vault()
    {
        var main = bicep.Main;
        var encryption = Single(main.Module("recordings-storage"), "Microsoft.Storage/storageAccounts")["properties"]!["encryption"]!;
        Assert.Contains("Microsoft.Keyvault", Json.Text(encryption["keySource"]), StringComparison.Ordinal);
        Assert.True(Json.IsFalse(main.DefaultOf("enableCustomerManagedKey")));
        var key = Single(main.Module("key-vault"), "Microsoft.KeyVault/vaults/keys")["properties"]!;
        Assert.Equal("RSA", Json.Text(key["kty"]));
        Assert.NotNull(key["rotationPolicy"]);
    }

    [Fact]
    public void PostgreSQL_keeps_35_days_of_geo_redundant_backups_and_signs_in_with_Entra_only()
    {
        var main = bicep.Main;
        var server = Single(main.Module("postgres"), "Microsoft.DBforPostgreSQL/flexibleServers")["properties"]!;

        Assert.Equal(35, Json.Number(server["backup"]!["backupRetentionDays"]));
        // Geo-redundant unless a region without it makes the operator turn it off (PostgresProvisionTests).
        Assert.Equal("[if(parameters('geoRedundantBackup'), 'Enabled', 'Disabled')]", Json.Text(server["backup"]!["geoRedundantBackup"]));
        Assert.True(Json.IsTrue(main.DefaultOf("postgresGeoRedundantBackup")));
        Assert.Equal("Enabled", Json.Text(server["authConfig"]!["activeDirectoryAuth"]));
        Assert.Equal("Disabled", Json.Text(server["authConfig"]!["passwordAuth"]));
        Assert.Null(server["administratorLogin"]);
        Assert.Null(server["administratorLoginPassword"]);
        Assert.Contains("ZoneRedundant", Json.Text(server["highAvailability"]!["mode"]), StringComparison.Ordinal);
        Assert.NotNull(Single(main.Module("postgres"), "Microsoft.DBforPostgreSQL/flexibleServers/administrators"));
    }

    [Fact]
    public void PostgreSQL_version_is_a_parameter_of_16_or_later()
    {
        var main = bicep.Main;
        var allowed = Json.Strings(main.Parameters["postgresVersion"]!["allowedValues"]).ToList();
        Assert.NotEmpty(allowed);
        Assert.All(allowed, version => Assert.True(int.Parse(version, System.Globalization.CultureInfo.InvariantCulture) >= 15));
        Assert.Contains(Json.Text(main.DefaultOf("postgresVersion")), allowed);
    }

    [Fact]
    public void PostgreSQL_requires_TLS()
    {
        var configurations = bicep.Main.Module("postgres").Variables["serverConfigurations"]!.AsArray()
            .ToDictionary(setting => Json.Text(setting!["name"])!, setting => Json.Text(setting!["value"]));
        Assert.Equal("ON", configurations["require_secure_transport"]);
        Assert.Equal("TLSv1.2", configurations["ssl_min_protocol_version"]);
    }

    [Fact]
    public void PostgreSQL_access_is_public_with_a_firewall_or_private_by_parameter()
    {
        var main = bicep.Main;
        var network = Json.Raw(Single(main.Module("postgres"), "Microsoft.DBforPostgreSQL/flexibleServers")["properties"]!["network"]);
        Assert.Contains("delegatedSubnetResourceId", network, StringComparison.Ordinal);
        Assert.NotNull(main.Parameters["postgresDelegatedSubnetId"]);
        Assert.NotNull(main.Parameters["postgresFirewallRules"]);
        Assert.NotNull(Single(main.Module("postgres"), "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules"));
    }

    [Fact]
    public void Key_Vault_uses_RBAC_soft_delete_and_purge_protection()
    {
        var vault = Single(bicep.Main.Module("key-vault"), "Microsoft.KeyVault/vaults")["properties"]!;
        Assert.True(Json.IsTrue(vault["enableRbacAuthorization"]));
        Assert.True(Json.IsTrue(vault["enablePurgeProtection"]));
        Assert.True(Json.IsTrue(vault["enableSoftDelete"]));
        Assert.Null(vault["accessPolicies"]);
    }

    [Fact]
    public void Event_Grid_has_a_system_topic_on_the_recordings_account()
    {
        var main = bicep.Main;
        var topic = Single(main.Module("eventgrid-system-topic"), "Microsoft.EventGrid/systemTopics");
        Assert.Equal("Microsoft.Storage.StorageAccounts", Json.Text(topic["properties"]!["topicType"]));
        Assert.Equal("SystemAssigned", Json.Text(topic["identity"]!["type"]));
        Assert.Equal("[reference('recordingsStorage').outputs.name.value]", Json.Text(main.ModuleParameter("eventgrid-system-topic", "storageAccountName")));
    }

    [Fact]
    public void The_event_subscription_filters_committed_uploads_retries_and_dead_letters()
    {
        var subscription = Single(bicep.Compiled("modules/eventgrid-subscription.bicep"), "Microsoft.EventGrid/systemTopics/eventSubscriptions")["properties"]!;
        var filter = subscription["filter"]!;

        Assert.Equal(["Microsoft.Storage.BlobCreated"], Json.Strings(filter["includedEventTypes"]));
        Assert.Equal("[format('/blobServices/default/containers/{0}/', parameters('uploadsContainerName'))]", Json.Text(filter["subjectBeginsWith"]));
        var apiFilter = Assert.Single(filter["advancedFilters"]!.AsArray());
        Assert.Equal("data.api", Json.Text(apiFilter!["key"]));
        Assert.Equal("StringIn", Json.Text(apiFilter["operatorType"]));
        Assert.Equal(["PutBlob", "PutBlockList"], Json.Strings(apiFilter["values"]));

        Assert.Equal("WebHook", Json.Text(subscription["destination"]!["endpointType"]));
        Assert.Equal("[parameters('webhookUrl')]", Json.Text(subscription["destination"]!["properties"]!["endpointUrl"]));
        Assert.Equal("[parameters('maxDeliveryAttempts')]", Json.Text(subscription["retryPolicy"]!["maxDeliveryAttempts"]));
        Assert.Equal("[parameters('eventTimeToLiveInMinutes')]", Json.Text(subscription["retryPolicy"]!["eventTimeToLiveInMinutes"]));

        var deadLetter = subscription["deadLetterWithResourceIdentity"]!;
        Assert.Equal("SystemAssigned", Json.Text(deadLetter["identity"]!["type"]));
        Assert.Equal("StorageBlob", Json.Text(deadLetter["deadLetterDestination"]!["endpointType"]));
        Assert.Equal("[parameters('deadLetterContainerName')]", Json.Text(deadLetter["deadLetterDestination"]!["properties"]!["blobContainerName"]));

        var parameters = bicep.Compiled("modules/eventgrid-subscription.bicep").Parameters;
        Assert.Equal("securestring", Json.Text(parameters["webhookUrl"]!["type"]));
        Assert.Equal("recordings-uploads", Json.Text(parameters["uploadsContainerName"]!["defaultValue"]));
        Assert.Equal("recordings-deadletter", Json.Text(parameters["deadLetterContainerName"]!["defaultValue"]));
    }

    [Theory]
    [InlineData("recordings-storage", "Microsoft.Storage/storageAccounts/blobServices")]
    [InlineData("recordings-storage", "Microsoft.Storage/storageAccounts/queueServices")]
    [InlineData("recordings-storage", "Microsoft.Storage/storageAccounts")]
    [InlineData("host-storage", "Microsoft.Storage/storageAccounts/blobServices")]
    [InlineData("postgres", "Microsoft.DBforPostgreSQL/flexibleServers")]
    [InlineData("key-vault", "Microsoft.KeyVault/vaults")]
    [InlineData("eventgrid-system-topic", "Microsoft.EventGrid/systemTopics")]
    [InlineData("functions-app", "Microsoft.App/managedEnvironments")]
    [InlineData("functions-app", "Microsoft.ContainerRegistry/registries")]
    public void Data_resources_send_diagnostics_to_Log_Analytics(string deployment, string resourceType)
    {
        var module = bicep.Main.Module(deployment);
        Assert.NotEmpty(module.ResourcesOfType(resourceType));

        // A diagnostic setting scoped to exactly that resource: scope = resourceId('<type>', ...).
        var settings = module.ResourcesOfType("Microsoft.Insights/diagnosticSettings")
            .Where(setting => (Json.Text(setting["scope"]) ?? "").StartsWith($"[resourceId('{resourceType}',", StringComparison.OrdinalIgnoreCase))
            .ToList();
        Assert.NotEmpty(settings);
        Assert.All(settings, setting => Assert.Equal("[parameters('logAnalyticsWorkspaceId')]", Json.Text(setting["properties"]!["workspaceId"])));
        Assert.Equal("[reference('monitoring').outputs.logAnalyticsWorkspaceId.value]", Json.Text(bicep.Main.ModuleParameter(deployment, "logAnalyticsWorkspaceId")));
    }

    [Fact]
    public void Alerts_cover_function_failures_dead_letters_abandoned_recording_events_and_PostgreSQL_at_85_percent()
    {
        var alerts = bicep.Main.Module("alerts");
        var metrics = alerts.Variables["metricAlerts"]!.AsArray()
            .ToDictionary(alert => Json.Text(alert!["metricName"])!, alert => alert!);

        Assert.Contains("requests/failed", metrics.Keys);
        Assert.Contains("DeadLetteredCount", metrics.Keys);
        Assert.Equal("GreaterThanOrEqual", Json.Text(metrics["cpu_percent"]["operator"]));
        Assert.Equal("[parameters('postgresCpuPercentThreshold')]", Json.Text(metrics["cpu_percent"]["threshold"]));
        Assert.Equal("GreaterThanOrEqual", Json.Text(metrics["storage_percent"]["operator"]));
        Assert.Equal("[parameters('postgresStoragePercentThreshold')]", Json.Text(metrics["storage_percent"]["threshold"]));
        Assert.Equal(85, Json.Number(alerts.DefaultOf("postgresCpuPercentThreshold")));
        Assert.Equal(85, Json.Number(alerts.DefaultOf("postgresStoragePercentThreshold")));

        Assert.NotEmpty(alerts.ResourcesOfType("Microsoft.Insights/metricAlerts"));
        var queries = alerts.ResourcesOfType("Microsoft.Insights/scheduledQueryRules").Select(rule => Json.Raw(rule)).ToList();
        Assert.Equal(2, queries.Count);
        Assert.Single(queries, query => query.Contains("IngestPoison", StringComparison.Ordinal));
        Assert.Single(queries, query => query.Contains("Recording webhook gave up", StringComparison.Ordinal));
        Assert.All(
            alerts.ResourcesOfType("Microsoft.Insights/metricAlerts").Concat(alerts.ResourcesOfType("Microsoft.Insights/scheduledQueryRules")),
            rule => Assert.Contains("parameters('actionGroupId')", Json.Raw(rule["properties"]!["actions"]!), StringComparison.Ordinal));
    }

    [Fact]
    public void Alerts_mail_the_address_given_as_a_parameter()
    {
        var main = bicep.Main;
        Assert.Null(main.Parameters["alertEmailAddress"]!["defaultValue"]);
        Assert.Equal("[parameters('alertEmailAddress')]", Json.Text(main.ModuleParameter("monitoring", "alertEmailAddress")));
        var group = Single(main.Module("monitoring"), "Microsoft.Insights/actionGroups")["properties"]!;
        Assert.Equal("[parameters('alertEmailAddress')]", Json.Text(group["emailReceivers"]![0]!["emailAddress"]));
    }

    [Fact]
    public void The_app_runs_as_a_Functions_container_app_with_a_user_assigned_identity()
    {
        var app = Single(bicep.Main.Module("functions-app"), "Microsoft.App/containerApps");
        Assert.Equal("functionapp", Json.Text(app["kind"]));
        Assert.Equal("UserAssigned", Json.Text(app["identity"]!["type"]));
        Assert.Equal(80, Json.Number(app["properties"]!["configuration"]!["ingress"]!["targetPort"]));
        Assert.True(Json.IsFalse(app["properties"]!["configuration"]!["ingress"]!["allowInsecure"]));
        Assert.True(Json.IsFalse(Single(bicep.Main.Module("functions-app"), "Microsoft.ContainerRegistry/registries")["properties"]!["adminUserEnabled"]));
        Assert.True(Json.IsTrue(Single(bicep.Main.Module("monitoring"), "Microsoft.Insights/components")["properties"]!["DisableLocalAuth"]));
    }

    [Fact]
    public void A_page_on_another_origin_can_read_the_headers_the_api_answers_with()
    {
        var cors = Json.Raw(Single(bicep.Main.Module("functions-app"), "Microsoft.App/containerApps")["properties"]!["configuration"]!["ingress"]!["corsPolicy"]);

        // A created recording's Location, the edit version's ETag, the Retry-After of an outage's 503 (docs/api.md).
        Assert.All(new[] { "'Location'", "'ETag'", "'Retry-After'" }, header => Assert.Contains(header, cors, StringComparison.Ordinal));
    }

    [Fact]
    public void Outputs_are_upper_snake_case_for_azd()
        => Assert.All(bicep.Main.Outputs.Select(output => output.Key), name => Assert.Matches("^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$", name));

    private static JsonObject Single(ArmTemplate template, string type)
    {
        var matches = template.ResourcesOfType(type).ToList();
        return matches.Count == 1 ? matches[0] : throw new Xunit.Sdk.XunitException($"{template.Path}: expected one {type}, found {matches.Count}.");
    }
}
