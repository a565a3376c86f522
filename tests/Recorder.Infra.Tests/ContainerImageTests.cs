using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Recorder.Infra.Tests.Support;
using Xunit;

namespace Recorder.Infra.Tests;

/// <summary>
/// The container image's inputs (no Docker engine here, so the image itself is not built): the
/// publish output the Dockerfile copies exists and holds what the Functions host loads, the COPY
/// source is the folder the publish step writes, ffmpeg is installed, and the base image is the
/// official Functions .NET isolated image of the framework the app targets.
/// </summary>
[Collection(PublishCollection.Name)]
public sealed partial class ContainerImageTests(PublishFixture publish)
{
    private static readonly string Dockerfile = Repository.ReadText("Dockerfile");

    [Fact]
    public void The_publish_output_holds_what_the_Functions_host_loads()
    {
        Assert.True(publish.Result.ExitCode == 0, publish.Result.Describe());
        Assert.All(
            ["Recorder.Functions.dll", "functions.metadata", "host.json", "worker.config.json"],
            file => Assert.True(File.Exists(Path.Combine(publish.OutputDirectory, file)), $"{file} missing from the publish output"));
        Assert.Equal(Repository.ReadText("host.json"), File.ReadAllText(Path.Combine(publish.OutputDirectory, "host.json")));
        Assert.False(File.Exists(Path.Combine(publish.OutputDirectory, "local.settings.json")), "local settings must not ship");
    }

    [Fact]
    public void The_worker_entry_point_is_the_published_assembly()
    {
        var worker = JsonNode.Parse(File.ReadAllText(Path.Combine(publish.OutputDirectory, "worker.config.json")))!["description"]!;
        Assert.Equal("dotnet-isolated", Json.Text(worker["language"]));
        var entryPoint = Json.Text(worker["defaultWorkerPath"]);
        Assert.Equal("Recorder.Functions.dll", entryPoint);
        Assert.True(File.Exists(Path.Combine(publish.OutputDirectory, entryPoint!)));

        var metadata = JsonNode.Parse(File.ReadAllText(Path.Combine(publish.OutputDirectory, "functions.metadata")))!.AsArray();
        Assert.Contains(metadata, function => Json.Text(function!["name"]) == "BlobCreatedWebhook");
        Assert.All(metadata, function => Assert.Equal("Recorder.Functions.dll", Json.Text(function!["scriptFile"])));
    }

    [Fact]
    public void The_base_image_is_the_Functions_dotnet_isolated_image_of_the_apps_framework()
    {
        var from = Assert.Single(Regex.Matches(Dockerfile, @"(?m)^FROM\s+(\S+)"));
        var framework = Regex.Match(Repository.ReadText("Directory.Build.props"), @"<TargetFramework>net(\d+\.\d+)</TargetFramework>").Groups[1].Value;
        Assert.Equal("10.0", framework);
        Assert.Equal($"mcr.microsoft.com/azure-functions/dotnet-isolated:4-dotnet-isolated{framework}", from.Groups[1].Value);
    }

    [Fact]
    public void The_image_installs_ffmpeg_and_tzdata_from_Debian()
    {
        var install = Regex.Match(Dockerfile, @"apt-get install -y --no-install-recommends ([^\\\n&]+)");
        Assert.True(install.Success, "no apt-get install in the Dockerfile");
        var packages = install.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("ffmpeg", packages);
        Assert.Contains("tzdata", packages);
        Assert.Contains("apt-get update", Dockerfile, StringComparison.Ordinal);
        Assert.Contains("rm -rf /var/lib/apt/lists/*", Dockerfile, StringComparison.Ordinal);
    }

    [Fact]
    public void The_image_runs_the_copied_app_as_the_script_root()
    {
        Assert.Matches(@"AzureWebJobsScriptRoot=/home/site/wwwroot\b", Dockerfile);
        Assert.Matches(@"AzureFunctionsJobHost__Logging__Console__IsEnabled=true\b", Dockerfile);
        var copy = Assert.Single(CopyInstruction().Matches(Dockerfile));
        Assert.Equal("/home/site/wwwroot/", copy.Groups[2].Value.TrimEnd('/') + "/");
    }

    [Fact]
    public void The_Dockerfile_copies_the_folder_the_publish_step_writes()
    {
        var source = Assert.Single(CopyInstruction().Matches(Dockerfile)).Groups[1].Value.TrimEnd('/');
        Assert.Equal(Repository.PublishDirectory, source);

        // The publish step the deploy step runs (publish-functions.sh) writes there...
        var script = Repository.ReadText("infra", "hooks", "publish-functions.sh");
        Assert.Contains($"readonly PUBLISH_DIR={Repository.PublishDirectory}", script, StringComparison.Ordinal);
        Assert.Contains("dotnet publish functions/Recorder.Functions -c Release -o \"$PUBLISH_DIR\"", script, StringComparison.Ordinal);
        // ...the documentation says so...
        Assert.Contains($"dotnet publish functions/Recorder.Functions -c Release -o {Repository.PublishDirectory}", Repository.ReadText("docs", "deploy.md"), StringComparison.Ordinal);
        Assert.Contains($"dotnet publish functions/Recorder.Functions -c Release -o {Repository.PublishDirectory}", Dockerfile, StringComparison.Ordinal);
        // ...the build context admits it, and git ignores it.
        var dockerignore = Repository.ReadText(".dockerignore").Split('\n', StringSplitOptions.TrimEntries);
        Assert.Contains("*", dockerignore);
        Assert.Contains($"!{Repository.PublishDirectory}/", dockerignore);
        Assert.Contains("bin/", Repository.ReadText(".gitignore").Split('\n', StringSplitOptions.TrimEntries));
    }

    [GeneratedRegex(@"(?m)^COPY\s+(\S+)\s+(\S+)\s*$")]
    private static partial Regex CopyInstruction();
}
