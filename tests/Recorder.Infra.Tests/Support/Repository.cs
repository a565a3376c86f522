namespace Recorder.Infra.Tests.Support;

/// <summary>Paths of the repository these tests check (found by walking up to Recorder.Functions.sln).</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string BicepDirectory => Path.Combine(Root, "infra", "bicep");

    public static string HooksDirectory => Path.Combine(Root, "infra", "hooks");

    /// <summary>The folder the Dockerfile copies into the image (the publish output of the Functions app).</summary>
    public const string PublishDirectory = "functions/Recorder.Functions/bin/publish";

    public static string File(params string[] relative) => Path.Combine([Root, .. relative]);

    public static string ReadText(params string[] relative) => System.IO.File.ReadAllText(File(relative));

    /// <summary>Every .bicep file under infra/bicep, relative to it, with forward slashes.</summary>
    public static IReadOnlyList<string> BicepFiles()
        => Directory.EnumerateFiles(BicepDirectory, "*.bicep", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(BicepDirectory, path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(directory.FullName, "Recorder.Functions.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"Recorder.Functions.sln not found above {AppContext.BaseDirectory}.");
    }
}
