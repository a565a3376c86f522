using System.Text.Json;
using Recorder.Functions.Http;

namespace Recorder.DevHost;

/// <summary>What the dev host reads from the repository: host.json's HTTP route prefix and the demo page folder.</summary>
public static class RepositoryLayout
{
    private const string DefaultRoutePrefix = "api";

    /// <summary>
    /// <c>extensions.http.routePrefix</c> of the host.json copied beside Recorder.Functions (the one the
    /// Functions host would load), else of the repository root's; "api" when neither says.
    /// </summary>
    public static string RoutePrefix()
    {
        var functionsFolder = Path.GetDirectoryName(typeof(Health).Assembly.Location);
        var hostJson = new[] { functionsFolder, RepositoryRoot() }
            .Where(folder => !string.IsNullOrEmpty(folder))
            .Select(folder => Path.Combine(folder!, "host.json"))
            .FirstOrDefault(File.Exists);
        if (hostJson is null)
        {
            return DefaultRoutePrefix;
        }
        using var document = JsonDocument.Parse(File.ReadAllText(hostJson), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return document.RootElement.TryGetProperty("extensions", out var extensions)
            && extensions.TryGetProperty("http", out var http)
            && http.TryGetProperty("routePrefix", out var prefix)
            && prefix.ValueKind == JsonValueKind.String
                ? prefix.GetString()!.Trim('/')
                : DefaultRoutePrefix;
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
