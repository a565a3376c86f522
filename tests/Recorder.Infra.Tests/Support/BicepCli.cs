using System.Reflection;

namespace Recorder.Infra.Tests.Support;

/// <summary>The Bicep CLI restored from the pinned Azure.Bicep.CommandLine.linux-x64 package.</summary>
public static class BicepCli
{
    public static string Path { get; } = Locate();

    private static string Locate()
    {
        var packageRoot = typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(attribute => attribute.Key == "BicepPackageRoot")?.Value;
        if (string.IsNullOrEmpty(packageRoot))
        {
            throw new InvalidOperationException("BicepPackageRoot is not set: restore tests/Recorder.Infra.Tests (it references Azure.Bicep.CommandLine.linux-x64).");
        }
        var executable = System.IO.Path.Combine(packageRoot, "tools", "bicep");
        return File.Exists(executable)
            ? executable
            : throw new FileNotFoundException($"The Bicep CLI is not where its package should have put it: {executable}");
    }

    public static Task<ProcessResult> RunAsync(params string[] arguments)
        => ProcessRunner.RunAsync(
            Path,
            arguments,
            Repository.Root,
            TimeSpan.FromMinutes(3),
            new Dictionary<string, string>
            {
                // No telemetry, no update check: the CLI runs offline.
                ["BICEP_TELEMETRY_ENABLED"] = "false",
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            });
}
