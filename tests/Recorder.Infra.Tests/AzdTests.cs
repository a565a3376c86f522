using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Recorder.Infra.Tests.Support;
using Xunit;

namespace Recorder.Infra.Tests;

/// <summary>azure.yaml and main.parameters.json: what `azd up` runs and what it passes to Bicep.</summary>
[Collection(BicepCollection.Name)]
public sealed class AzdTests(BicepFixture bicep)
{
    private static readonly string AzureYaml = Repository.ReadText("azure.yaml");

    [Fact]
    public void Infrastructure_is_the_bicep_folder()
    {
        Assert.Matches(@"(?m)^infra:\s*\n\s+provider: bicep\s*\n\s+path: infra/bicep\s*\n\s+module: main\s*$", AzureYaml);
        Assert.True(File.Exists(Path.Combine(Repository.BicepDirectory, "main.bicep")));
    }

    [Fact]
    public void The_functions_service_is_the_container_built_from_the_Dockerfile()
    {
        Assert.Matches(@"(?m)^services:\s*\n\s+functions:\s*$", AzureYaml);
        Assert.Matches(@"(?m)^\s+project: \./functions/Recorder\.Functions\s*$", AzureYaml);
        Assert.Matches(@"(?m)^\s+host: containerapp\s*$", AzureYaml);
        var project = Repository.File("functions", "Recorder.Functions");
        var docker = Regex.Match(AzureYaml, @"docker:\s*\n(?:\s*#.*\n)*\s+path: (\S+)\s*\n\s+context: (\S+)");
        Assert.True(docker.Success, "azure.yaml has no docker path and context");
        Assert.Equal(Repository.File("Dockerfile"), Path.GetFullPath(Path.Combine(project, docker.Groups[1].Value)));
        Assert.Equal(Repository.Root.TrimEnd('/'), Path.GetFullPath(Path.Combine(project, docker.Groups[2].Value)).TrimEnd('/'));
        Assert.Matches(@"(?m)^\s+remoteBuild: true\s*$", AzureYaml);
        Assert.Equal(Repository.File("infra", "hooks", "publish-functions.sh"), Path.GetFullPath(Path.Combine(project, Regex.Match(AzureYaml, @"prepackage:\s*\n\s+posix:\s*\n\s+shell: sh\s*\n\s+run: (\S+)").Groups[1].Value)));
        // The service's container app is found by this tag.
        Assert.Contains("'azd-service-name': serviceName", Repository.ReadText("infra", "bicep", "modules", "container-apps.bicep"), StringComparison.Ordinal);
        Assert.Contains("var serviceName = 'functions'", Repository.ReadText("infra", "bicep", "main.bicep"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("preprovision", "preprovision.sh")]
    [InlineData("postprovision", "postprovision.sh")]
    [InlineData("postdeploy", "postdeploy.sh")]
    public void The_hooks_run_the_scripts(string hook, string script)
    {
        Assert.Matches($@"(?m)^  {hook}:\s*\n\s+posix:\s*\n\s+shell: sh\s*\n\s+run: \./infra/hooks/{Regex.Escape(script)}\s*$", AzureYaml);
        Assert.True(File.Exists(Path.Combine(Repository.HooksDirectory, script)));
    }

    [Fact]
    public void Every_parameter_without_a_default_is_supplied_and_every_supplied_one_exists()
    {
        var supplied = JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.BicepDirectory, "main.parameters.json")))!["parameters"]!.AsObject()
            .Select(parameter => parameter.Key)
            .ToHashSet(StringComparer.Ordinal);
        var declared = bicep.Main.Parameters;

        Assert.All(supplied, name => Assert.True(declared.ContainsKey(name), $"main.parameters.json sets {name}, which main.bicep does not declare"));
        Assert.All(
            declared.Where(parameter => parameter.Value!["defaultValue"] is null).Select(parameter => parameter.Key),
            name => Assert.Contains(name, supplied));
    }

    [Fact]
    public void The_image_of_a_previous_deploy_survives_a_provision()
        => Assert.Equal("${SERVICE_FUNCTIONS_IMAGE_NAME=}", Json.Text(JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.BicepDirectory, "main.parameters.json")))!["parameters"]!["functionsImageName"]!["value"]));

    [Fact]
    public void azd_finds_the_registry_and_the_service()
    {
        Assert.Contains("AZURE_CONTAINER_REGISTRY_ENDPOINT", bicep.Main.Outputs.Select(output => output.Key));
        Assert.Contains("SERVICE_FUNCTIONS_NAME", bicep.Main.Outputs.Select(output => output.Key));
        Assert.Contains("SERVICE_FUNCTIONS_URI", bicep.Main.Outputs.Select(output => output.Key));
    }
}
