using Recorder.Functions.Http;

namespace Recorder.DevHost;

/// <summary>What the dev host reads from the repository: host.json and the demo page folder.</summary>
public static class RepositoryLayout
{
    /// <summary>
    /// The host.json copied beside Recorder.Functions (the one the Functions host would load), else the
    /// repository root's, with <c>AzureFunctionsJobHost__*</c> overrides from <paramref name="settings"/>.
    /// </summary>
    public static HostJson HostJson(IConfiguration settings)
    {
        var functionsFolder = Path.GetDirectoryName(typeof(Health).Assembly.Location);
        var path = new[] { functionsFolder, RepositoryRoot() }
            .Where(folder => !string.IsNullOrEmpty(folder))
            .Select(folder => Path.Combine(folder!, "host.json"))
            .FirstOrDefault(File.Exists);
        return DevHost.HostJson.Load(path, settings);
    }

    /// <summary><c>web/recorder</c> of the repository, when there is one.</summary>
    public static string? RecorderPageFolder()
        => RepositoryRoot() is { } root && Path.Combine(root, "web", "recorder") is var folder && Directory.Exists(folder) ? folder : null;

    /// <summary>The folder holding Recorder.Functions.sln, above the build output the dev host runs from.</summary>
    private static string? RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Recorder.Functions.sln")))
            {
                return folder.FullName;
            }
        }
        return null;
    }
}
