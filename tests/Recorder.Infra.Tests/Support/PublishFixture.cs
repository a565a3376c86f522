using Xunit;

namespace Recorder.Infra.Tests.Support;

/// <summary>
/// Publishes the Functions app once per test run exactly as the image build expects
/// (`dotnet publish functions/Recorder.Functions -c Release -o <dir>`), into a temporary folder and
/// with its own artifacts path, so the working tree's bin/obj are neither used nor touched.
/// </summary>
public sealed class PublishFixture : IAsyncLifetime
{
    private readonly string root = Path.Combine(Path.GetTempPath(), $"recorder-publish-{Guid.NewGuid():N}");

    public string OutputDirectory => Path.Combine(root, "publish");

    public ProcessResult Result { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(root);
        Result = await ProcessRunner.RunAsync(
            "dotnet",
            [
                "publish", "functions/Recorder.Functions",
                "-c", "Release",
                "-o", OutputDirectory,
                "--artifacts-path", Path.Combine(root, "artifacts"),
                "--nologo",
                "--disable-build-servers",
                "-p:UseSharedCompilation=false",
            ],
            Repository.Root,
            TimeSpan.FromMinutes(5),
            new Dictionary<string, string>
            {
                // No build server outlives the command (and holds its output pipes open).
                ["MSBUILDDISABLENODEREUSE"] = "1",
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                ["DOTNET_NOLOGO"] = "1",
            });
    }

    public Task DisposeAsync()
    {
        Directory.Delete(root, recursive: true);
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class PublishCollection : ICollectionFixture<PublishFixture>
{
    public const string Name = "publish";
}
