using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Recorder.Core.Configuration;

/// <summary>
/// Reads the "Values" of a local.settings.json (the Functions Core Tools format) into configuration,
/// so the dev host and the CLI see exactly the keys the Functions app sees in Azure:
/// <c>Database__AppConnectionString</c> becomes <c>Database:AppConnectionString</c>.
/// </summary>
public static class LocalSettings
{
    public const string FileName = "local.settings.json";

    /// <summary>Adds the file's values; environment variables added after this call override them.</summary>
    public static IConfigurationBuilder AddLocalSettingsFile(this IConfigurationBuilder builder, string path)
        => builder.AddInMemoryCollection(ReadValues(path));

    public static IReadOnlyDictionary<string, string?> ReadValues(string path)
    {
        using var stream = File.OpenRead(path);
        using var document = JsonDocument.Parse(stream,
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (document.RootElement.TryGetProperty("Values", out var section))
        {
            foreach (var property in section.EnumerateObject())
            {
                values[property.Name.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal)] =
                    property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : property.Value.GetRawText();
            }
        }
        return values;
    }

    /// <summary>
    /// The settings file to use: an explicit path, else <c>local.settings.json</c> in the working
    /// directory or the nearest folder above it (the repository root when run from a project folder).
    /// </summary>
    public static string? Locate(string? explicitPath = null)
    {
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return File.Exists(explicitPath) ? Path.GetFullPath(explicitPath)
                : throw new FileNotFoundException($"Settings file not found: {explicitPath}", explicitPath);
        }
        for (var directory = new DirectoryInfo(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, FileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
