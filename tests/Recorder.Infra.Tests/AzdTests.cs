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
    public void The_deploy_step_builds_the_Dockerfile_in_the_registry_from_the_published_app()
    {
        // No Docker engine here: the registry builds the repository root's Dockerfile (.dockerignore admits the publish output).
        var deploy = Repository.ReadText("infra", "hooks", "deploy-functions.sh");
        Assert.Matches(@"(?m)^infra/hooks/publish-functions\.sh$", deploy);
        Assert.Matches(@"az acr build --registry ""\$\{AZURE_CONTAINER_REGISTRY_ENDPOINT%%\.\*\}"" [^\n]*--file Dockerfile \\\n[^\n]* \.\n", deploy);
        Assert.True(File.Exists(Repository.File("Dockerfile")));
    }

    [Theory]
    [InlineData("preprovision", "preprovision.sh")]
    [InlineData("postprovision", "postprovision.sh")]
    [InlineData("predeploy", "deploy-functions.sh")]
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
    public void The_deploy_step_finds_the_registry_and_the_app()
    {
        Assert.Contains("AZURE_CONTAINER_REGISTRY_ENDPOINT", bicep.Main.Outputs.Select(output => output.Key));
        Assert.Contains("SERVICE_FUNCTIONS_NAME", bicep.Main.Outputs.Select(output => output.Key));
        Assert.Contains("SERVICE_FUNCTIONS_URI", bicep.Main.Outputs.Select(output => output.Key));
    }
}
