using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Recorder.Infra.Tests.Support;
using Xunit;

namespace Recorder.Infra.Tests;

/// <summary>
/// The app's managed identity holds exactly the data-plane roles the app needs (checked by role
/// definition GUID), and every role assignment is named guid(scope, principal, role definition) so a
/// re-deployment finds it again.
/// </summary>
[Collection(BicepCollection.Name)]
public sealed class RoleAssignmentTests(BicepFixture bicep)
{
    private const string AppPrincipal = "reference('appIdentity').outputs.principalId.value";

    public static TheoryData<string, string, string, string> AppIdentityGrants() => new()
    {
        // User delegation SAS with Write: the identity reads, writes and deletes blobs and signs delegation keys.
        { "recordings-storage", "roleAssignments", "Storage Blob Data Contributor", "ba92f5b4-2d11-453d-a403-e96b0029c9fe" },
        { "recordings-storage", "roleAssignments", "Storage Blob Delegator", "db58b8e5-c6ad-4a2a-8342-4190687cbf4a" },
        { "recordings-storage", "roleAssignments", "Storage Queue Data Contributor", "974c5e8b-45b9-4653-ba55-5f855dd0fb88" },
        { "key-vault", "roleAssignments", "Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6" },
        // The Functions host's own storage (AzureWebJobsStorage: timers, locks, function keys).
        { "host-storage", "roleAssignments", "Storage Blob Data Owner", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b" },
        { "host-storage", "roleAssignments", "Storage Queue Data Contributor", "974c5e8b-45b9-4653-ba55-5f855dd0fb88" },
        { "host-storage", "roleAssignments", "Storage Table Data Contributor", "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3" },
        // Telemetry with an Entra token (local authentication is off on Application Insights).
        { "monitoring", "applicationInsightsRoleAssignments", "Monitoring Metrics Publisher", "3913510d-42f4-4e42-8a64-420c390055eb" },
    };

    [Theory]
    [MemberData(nameof(AppIdentityGrants))]
    public void The_app_identity_is_granted(string deployment, string parameter, string roleName, string roleDefinitionGuid)
    {
        var main = bicep.Main;
        Assert.True(
            Grants(main.ModuleParameter(deployment, parameter), roleName),
            $"{deployment}: no {roleName} for the app identity in {parameter}: {Json.Raw(main.ModuleParameter(deployment, parameter))}");

        var module = main.Module(deployment);
        Assert.Equal(roleDefinitionGuid, Json.Text(module.Variables["builtInRoleIds"]?[roleName]));
        Assert.Contains(
            module.ResourcesOfType("Microsoft.Authorization/roleAssignments"),
            assignment => (Json.Text(assignment["properties"]!["roleDefinitionId"]) ?? "").Contains($"parameters('{parameter}')[copyIndex()].roleName", StringComparison.Ordinal));
    }

    [Fact]
    public void The_app_identity_pulls_its_image_with_AcrPull()
    {
        var main = bicep.Main;
        var module = main.Module("functions-app");
        Assert.Equal($"[{AppPrincipal}]", Json.Text(main.ModuleParameter("functions-app", "identityPrincipalId")));
        Assert.Equal("7f951dda-4ed3-4680-a7ca-43fe172d538d", Json.Text(module.Variables["builtInRoleIds"]?["AcrPull"]));
        var assignment = Assert.Single(module.ResourcesOfType("Microsoft.Authorization/roleAssignments"));
        Assert.Equal("[parameters('identityPrincipalId')]", Json.Text(assignment["properties"]!["principalId"]));
        Assert.Contains("AcrPull", Json.Text(module.Variables["acrPull"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Event_Grid_writes_dead_letters_with_its_own_identity()
    {
        var module = bicep.Main.Module("eventgrid-system-topic");
        var assignment = Assert.Single(module.ResourcesOfType("Microsoft.Authorization/roleAssignments"));
        Assert.Contains("deadLetterContainerName", Json.Text(assignment["scope"]), StringComparison.Ordinal);
        Assert.Contains("systemTopic", Json.Text(assignment["properties"]!["principalId"]), StringComparison.Ordinal);
        Assert.Contains("Storage Blob Data Contributor", Json.Text(module.Variables["blobDataContributor"]), StringComparison.Ordinal);
    }

    [Fact]
    public void The_deployer_may_manage_the_app_secrets()
        => Assert.Contains("'Key Vault Secrets Officer'", Json.Text(bicep.Main.ModuleParameter("key-vault", "roleAssignments")), StringComparison.Ordinal);

    [Fact]
    public void Every_role_assignment_is_named_from_scope_principal_and_role()
    {
        var assignments = bicep.Main.SelfAndNested()
            .Concat(Repository.BicepFiles().Select(bicep.Compiled))
            .SelectMany(template => template.ResourcesOfType("Microsoft.Authorization/roleAssignments").Select(assignment => (template, assignment)))
            .ToList();
        Assert.NotEmpty(assignments);

        Assert.All(assignments, entry =>
        {
            var (template, assignment) = entry;
            var name = Json.Text(assignment["name"]) ?? "";
            // Variables the name refers to, expanded once (e.g. variables('acrPull') = subscriptionResourceId(...)).
            var expanded = Regex.Replace(name, @"variables\('(\w+)'\)", variable => Json.Raw(template.Variables[variable.Groups[1].Value]));
            Assert.StartsWith("[guid(", name, StringComparison.Ordinal);
            // The principal: a principal id, or the resource whose system-assigned identity it is
            // (that identity's principal id is not known when the deployment starts).
            Assert.Matches("(?i)principal|systemTopic|backupVaults", expanded);
            Assert.Contains("Microsoft.Authorization/roleDefinitions", expanded, StringComparison.Ordinal);
            Assert.False(string.IsNullOrEmpty(Json.Text(assignment["properties"]!["description"])), $"{template.Path}: role assignment without a readable description");
            Assert.NotNull(assignment["properties"]!["principalType"]);
        });
    }

    /// <summary>
    /// Whether a roleAssignments value (a literal array, or an ARM expression when the array is
    /// built with concat) grants <paramref name="roleName"/> to the app identity.
    /// </summary>
    private static bool Grants(JsonNode? value, string roleName) => value switch
    {
        JsonArray array => array.OfType<JsonObject>().Any(entry =>
            Json.Text(entry["roleName"]) == roleName && Json.Text(entry["principalId"]) == $"[{AppPrincipal}]"),
        JsonValue expression when Json.Text(expression) is { } text =>
            Regex.IsMatch(text, $@"createObject\('principalId', {Regex.Escape(AppPrincipal)}, 'roleName', '{Regex.Escape(roleName)}'"),
        _ => false,
    };
}
