using System.Text.RegularExpressions;
using Xunit;

namespace Recorder.Infra.Tests.Support;

/// <summary>
/// Builds and lints every .bicep file under infra/bicep once per test run (two CLI invocations with
/// --pattern), keeping the diagnostics and the compiled ARM JSON for the tests of the collection.
/// </summary>
public sealed partial class BicepFixture : IAsyncLifetime
{
    private readonly string outputDirectory = Path.Combine(Path.GetTempPath(), $"recorder-bicep-{Guid.NewGuid():N}");

    public ProcessResult Build { get; private set; } = null!;

    public ProcessResult Lint { get; private set; } = null!;

    /// <summary>Every diagnostic line (warning, error, info) of the build and of the linter.</summary>
    public IReadOnlyList<string> Diagnostics { get; private set; } = [];

    public ArmTemplate Main => Compiled("main.bicep");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(outputDirectory);
        const string pattern = "infra/bicep/**/*.bicep";
        Build = await BicepCli.RunAsync("build", "--pattern", pattern, "--outdir", outputDirectory);
        Lint = await BicepCli.RunAsync("lint", "--pattern", pattern);
        Diagnostics = (Build.StandardOutput + "\n" + Build.StandardError + "\n" + Lint.StandardOutput + "\n" + Lint.StandardError)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => DiagnosticLine().IsMatch(line))
            .ToList();
    }

    /// <summary>Diagnostics reported for one file (path relative to infra/bicep).</summary>
    public IEnumerable<string> DiagnosticsFor(string relativeBicepPath)
    {
        var fullPath = Path.Combine(Repository.BicepDirectory, relativeBicepPath);
        return Diagnostics.Where(line => line.StartsWith(fullPath + "(", StringComparison.Ordinal));
    }

    /// <summary>The compiled template of a .bicep file (path relative to infra/bicep).</summary>
    public ArmTemplate Compiled(string relativeBicepPath)
    {
        var jsonPath = Path.Combine(outputDirectory, Path.ChangeExtension(relativeBicepPath, ".json"));
        return File.Exists(jsonPath)
            ? ArmTemplate.Load(jsonPath, relativeBicepPath)
            : throw new FileNotFoundException($"bicep build produced no {jsonPath}.\n{Build.Describe()}");
    }

    /// <summary>The text of a compiled template (for text scans).</summary>
    public string CompiledText(string relativeBicepPath)
        => File.ReadAllText(Path.Combine(outputDirectory, Path.ChangeExtension(relativeBicepPath, ".json")));

    public Task DisposeAsync()
    {
        Directory.Delete(outputDirectory, recursive: true);
        return Task.CompletedTask;
    }

    [GeneratedRegex(@"\.bicep(param)?\(\d+,\d+\)\s*:\s*(Error|Warning|Info)\b", RegexOptions.IgnoreCase)]
    private static partial Regex DiagnosticLine();
}

[CollectionDefinition(Name)]
public sealed class BicepCollection : ICollectionFixture<BicepFixture>
{
    public const string Name = "bicep";
}
