using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Recorder.Infra.Tests.Support;
using Xunit;
using static Recorder.Infra.Tests.Support.AzureStandIns;

namespace Recorder.Infra.Tests;

/// <summary>
/// Issue 17, item 1: a deploy changes the container app's image and nothing else, so the queue scale rules the platform
/// derived from the triggers survive it; after provision and deploy the hooks check that those rules exist, and
/// recover them once (trigger-sync hash reset and restart) when they do not. Rehearsed against stand-ins for az and azd.
/// </summary>
[Collection(BicepCollection.Name)]
public sealed partial class ImageDeployTests(BicepFixture bicep)
{
    private const string OldImage = "crtest.azurecr.io/recorder-functions:v41";
    private const string NewImage = "crtest.azurecr.io/recorder-functions:v42";

    private static readonly Dictionary<string, string> DeployEnvironment = new()
    {
        ["AZURE_RESOURCE_GROUP"] = ResourceGroup,
        ["SERVICE_FUNCTIONS_NAME"] = AppName,
        ["AZURE_CONTAINER_REGISTRY_ENDPOINT"] = "crtest.azurecr.io",
        ["RECORDER_IMAGE_TAG"] = "v42",
        ["FUNCTIONS_TRIGGER_QUEUES"] = "[\"recording-ingest\",\"recording-ingest-poison\",\"privacy-export\",\"privacy-erasure\"]",
        ["FUNCTIONS_HOST_ID"] = "recorder-abc123",
        ["HOST_STORAGE_ACCOUNT_NAME"] = "stfnabc123",
        ["RECORDER_HOOK_POLL_SECONDS"] = "0",
        ["RECORDER_SCALE_RULE_WAIT_SECONDS"] = "0",
    };

    [Fact]
    public void azd_deploys_no_service_itself_and_the_predeploy_hook_ships_the_image()
    {
        var azureYaml = Repository.ReadText("azure.yaml");
        Assert.DoesNotMatch(@"(?m)^services:", azureYaml);
        Assert.Matches(@"(?m)^  predeploy:\s*\n\s+posix:\s*\n\s+shell: sh\s*\n\s+run: \./infra/hooks/deploy-functions\.sh\s*$", azureYaml);
    }

    [Fact]
    public async Task The_deploy_step_patches_only_the_containers_with_the_new_image_and_keeps_the_scale_rules()
    {
        using var sandbox = DeploySandbox(ContainerApp(OldImage), ContainerApp(NewImage, state: "InProgress", latestRevision: "ca-functions--rev2"),
            ContainerApp(NewImage, latestRevision: "ca-functions--rev2", readyRevision: "ca-functions--rev2"));

        var result = await sandbox.RunAsync("deploy-functions.sh", DeployEnvironment);

        Assert.True(result.ExitCode == 0, result.Describe());
        var calls = sandbox.Calls();
        var build = Assert.Single(calls, call => call.Is("az", "acr build"));
        Assert.Equal(("crtest", "recorder-functions:v42", "Dockerfile", "."), (build.Option("--registry"), build.Option("--image"), build.Option("--file"), build.Arguments[^1]));
        Assert.True(calls.ToList().FindIndex(call => call.Command == "dotnet") < calls.ToList().FindIndex(call => call.Is("az", "acr build")), "the image was built before the app was published");

        // No command that sends the app back whole: neither azd's deploy nor `az containerapp update`.
        Assert.DoesNotContain(calls, call => call.Is("az", "containerapp update") || call.Is("azd", "deploy"));
        var patch = Assert.Single(calls, call => call.Is("az", "rest"));
        Assert.Equal(("patch", $"{AppId}?api-version=2025-07-01"), (patch.Option("--method"), patch.Option("--url")));
        var (content, folderMode) = sandbox.Captured(Path.GetFileName(patch.Option("--body")![1..]));
        Assert.Equal("700", folderMode);
        var body = JsonNode.Parse(content)!.AsObject();
        Assert.Equal(["properties"], body.Select(property => property.Key));
        Assert.Equal(["template"], body["properties"]!.AsObject().Select(property => property.Key));
        Assert.Equal(["containers"], body["properties"]!["template"]!.AsObject().Select(property => property.Key));

        // The container as it was, but for its image (and the disk size only the server sets).
        var sent = body["properties"]!["template"]!["containers"]!.AsArray().Single()!.AsObject();
        var before = JsonNode.Parse(ContainerApp(OldImage).Output)!["properties"]!["template"]!["containers"]![0]!.AsObject();
        before["image"] = NewImage;
        before["resources"]!.AsObject().Remove("ephemeralStorage");
        Assert.True(JsonNode.DeepEquals(before, sent), sent.ToJsonString());

        Assert.Contains(calls, call => call.Is("azd", $"env set SERVICE_FUNCTIONS_IMAGE_NAME {NewImage}"));
        Assert.Contains("every trigger queue has its scale rule", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_deploy_step_fails_when_the_new_revision_fails_and_records_no_image()
    {
        using var sandbox = DeploySandbox(ContainerApp(OldImage), ContainerApp(NewImage, state: "Failed", latestRevision: "ca-functions--rev2"));

        var result = await sandbox.RunAsync("deploy-functions.sh", DeployEnvironment);

        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.Contains("the new revision of ca-functions failed", result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(sandbox.Calls(), call => call.Is("azd", "env set"));
    }

    [Fact]
    public async Task Missing_queue_scale_rules_are_recovered_by_resetting_the_trigger_sync_hash_and_restarting_the_revision()
    {
        using var sandbox = new HookSandbox()
            .Answer("az", AppShow, ContainerApp(NewImage, ruledQueues: ["recording-ingest"]), ContainerApp(NewImage))
            .Answer("az", "containerapp show *--query properties.latestRevisionName*", new StubAnswer("ca-functions--rev2\n"));

        var result = await sandbox.RunAsync("verify-scale-rules.sh", DeployEnvironment);

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains("no queue scale rule for: recording-ingest-poison privacy-export privacy-erasure", result.StandardError, StringComparison.Ordinal);
        var calls = sandbox.Calls();
        var delete = Assert.Single(calls, call => call.Is("az", "storage blob delete"));
        Assert.Equal(("stfnabc123", "azure-webjobs-hosts", "synctriggers/recorder-abc123/last", "login"),
            (delete.Option("--account-name"), delete.Option("--container-name"), delete.Option("--name"), delete.Option("--auth-mode")));
        var restart = Assert.Single(calls, call => call.Is("az", "containerapp revision restart"));
        Assert.Equal("ca-functions--rev2", restart.Option("--revision"));
        Assert.True(calls.ToList().IndexOf(delete) < calls.ToList().IndexOf(restart), "the revision restarted before the hash was reset");
    }

    [Fact]
    public async Task Queue_scale_rules_still_missing_after_the_recovery_fail_the_hook_naming_the_queues()
    {
        using var sandbox = new HookSandbox()
            .Answer("az", AppShow, ContainerApp(NewImage, ruledQueues: ["recording-ingest", "privacy-export", "privacy-erasure"]))
            .Answer("az", "containerapp show *--query properties.latestRevisionName*", new StubAnswer("ca-functions--rev2\n"))
            .Answer("az", "storage blob delete*", new StubAnswer("BlobNotFound", 1));

        var result = await sandbox.RunAsync("verify-scale-rules.sh", DeployEnvironment);

        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.Contains("still no queue scale rule for: recording-ingest-poison", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("docs/deploy.md", result.StandardError, StringComparison.Ordinal);
        Assert.Single(sandbox.Calls(), call => call.Is("az", "containerapp revision restart"));
    }

    [Fact]
    public async Task A_provision_of_an_app_running_our_image_checks_its_queue_scale_rules()
    {
        using var sandbox = new HookSandbox().Answer("az", AppShow, ContainerApp(NewImage, ruledQueues: []))
            .Answer("az", "containerapp show *--query properties.latestRevisionName*", new StubAnswer("ca-functions--rev2\n"));
        var environment = new Dictionary<string, string>(DeployEnvironment) { ["RECORDER_SKIP_MIGRATIONS"] = "true", ["SERVICE_FUNCTIONS_IMAGE_NAME"] = NewImage };

        var result = await sandbox.RunAsync("postprovision.sh", environment);

        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.Contains("still no queue scale rule for: recording-ingest recording-ingest-poison privacy-export privacy-erasure", result.StandardError, StringComparison.Ordinal);

        // Before the first deploy the app runs the placeholder image, which has no triggers: nothing to check.
        environment.Remove("SERVICE_FUNCTIONS_IMAGE_NAME");
        using var first = new HookSandbox().Stub("az");
        var firstResult = await first.RunAsync("postprovision.sh", environment);
        Assert.True(firstResult.ExitCode == 0, firstResult.Describe());
        Assert.Empty(first.Calls());
    }

    [Fact]
    public void The_queues_whose_scale_rules_are_checked_are_those_of_the_apps_queue_triggers()
    {
        var main = bicep.Main;
        Assert.Equal("[variables('triggerQueueNames')]", Json.Text(main.Outputs["FUNCTIONS_TRIGGER_QUEUES"]!["value"]));

        // Each trigger's queue, "%Setting%" replaced by the parameter main.bicep gives that app setting: "{ingestQueueName}-poison".
        var text = bicep.CompiledText("main.bicep");
        var triggers = Directory.EnumerateFiles(Repository.File("functions", "Recorder.Functions"), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(path => QueueTrigger().Matches(File.ReadAllText(path)))
            .Select(match => SettingReference().Replace(match.Groups["queue"].Value, setting =>
            {
                var value = Regex.Match(text, $@"createObject\('name', '{setting.Groups["name"].Value}', 'value', parameters\('(\w+)'\)\)");
                Assert.True(value.Success, $"{setting.Value} is not an app setting taken from a parameter");
                return "{" + value.Groups[1].Value + "}";
            }))
            .ToList();
        Assert.Equal(4, triggers.Count);

        // The checked queues in the same form: [parameters('x')] is "{x}", [format('{0}-poison', parameters('x'))] is "{x}-poison".
        var checkedQueues = Json.Strings(main.Variables["triggerQueueNames"]).Select(queue => CompiledQueue().Match(queue) switch
        {
            { Success: true } match when match.Groups["format"].Success => match.Groups["format"].Value.Replace("{0}", "{" + match.Groups["parameter"].Value + "}", StringComparison.Ordinal),
            { Success: true } match => "{" + match.Groups["parameter"].Value + "}",
            _ => queue,
        });
        Assert.Equal(triggers.Order(StringComparer.Ordinal), checkedQueues.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_host_always_runs_to_serve_keys_run_timers_and_sync_triggers()
    {
        var minReplicas = bicep.Main.Parameters["functionsMinReplicas"]!;
        Assert.Equal((1, 1), (Json.Number(minReplicas["minValue"]), Json.Number(minReplicas["defaultValue"])));
        Assert.Equal("[parameters('functionsMinReplicas')]", Json.Text(bicep.Main.ModuleParameter("functions-app", "minReplicas")));
    }

    [Fact]
    public void The_hooks_talk_to_Container_Apps_in_the_API_version_the_template_deploys_with()
    {
        var app = bicep.Main.Module("functions-app").ResourcesOfType("Microsoft.App/containerApps").Single();
        var hookVersion = Regex.Match(Repository.ReadText("infra", "hooks", "lib.sh"), @"(?m)^readonly CONTAINER_APPS_API_VERSION=(\S+)$");
        Assert.True(hookVersion.Success);
        Assert.Equal(Json.Text(app["apiVersion"]), hookVersion.Groups[1].Value);
    }

    [Fact]
    public void The_placeholder_image_is_only_the_first_provision_s_and_the_deployed_image_survives_a_provision()
    {
        var parameters = JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.BicepDirectory, "main.parameters.json")))!["parameters"]!;
        Assert.Equal("${SERVICE_FUNCTIONS_IMAGE_NAME=}", Json.Text(parameters["functionsImageName"]!["value"]));
        Assert.Contains("record_env SERVICE_FUNCTIONS_IMAGE_NAME \"$image\"", Repository.ReadText("infra", "hooks", "deploy-functions.sh"), StringComparison.Ordinal);
    }

    // The app JSON in turn: before the patch, then while polling (the last one repeated).
    private static HookSandbox DeploySandbox(params StubAnswer[] appStates)
        => new HookSandbox()
            .Answer("dotnet", "publish functions/Recorder.Functions *", new StubAnswer(Effect: """
                mkdir -p functions/Recorder.Functions/bin/publish
                touch functions/Recorder.Functions/bin/publish/{Recorder.Functions.dll,functions.metadata,host.json,worker.config.json}
                """))
            .Answer("az", AppShow, appStates)
            .Stub("azd");

    [GeneratedRegex(@"QueueTrigger\(""(?<queue>[^""]+)""")]
    private static partial Regex QueueTrigger();

    [GeneratedRegex(@"%(?<name>\w+)%")]
    private static partial Regex SettingReference();

    [GeneratedRegex(@"^\[(?:format\('(?<format>[^']*)', )?parameters\('(?<parameter>\w+)'\)\)?\]$")]
    private static partial Regex CompiledQueue();
}
