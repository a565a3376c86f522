namespace Recorder.DevHost;

/// <summary>
/// host.json as the Functions host applies it: the file's values, each overridable by an app setting named
/// <c>AzureFunctionsJobHost__</c> + its path (<c>AzureFunctionsJobHost__extensions__queues__maxDequeueCount</c>).
/// Paths are configuration keys (<c>extensions:http:routePrefix</c>), case-insensitive like the host's.
/// </summary>
public sealed class HostJson
{
    public const string OverrideSection = "AzureFunctionsJobHost";

    private const string DefaultRoutePrefix = "api";

    private readonly IConfiguration file;
    private readonly IConfiguration settings;

    private HostJson(IConfiguration file, IConfiguration settings)
    {
        this.file = file;
        this.settings = settings;
    }

    /// <param name="path">The host.json to read; null for none (every value from settings or defaults).</param>
    /// <param name="settings">The app settings, for <c>AzureFunctionsJobHost__*</c> overrides.</param>
    public static HostJson Load(string? path, IConfiguration settings)
    {
        var file = new ConfigurationBuilder();
        if (path is not null)
        {
            file.AddJsonFile(Path.GetFullPath(path), optional: false);
        }
        try
        {
            return new HostJson(file.Build(), settings);
        }
        catch (InvalidDataException exception)
        {
            throw new DevHostStartupException($"{path} cannot be read: {exception.GetBaseException().Message}");
        }
    }

    /// <summary>A value by its path, the override winning over the file; null when neither has it.</summary>
    public string? this[string path] => settings[$"{OverrideSection}:{path}"] ?? file[path];

    /// <summary><c>extensions.http.routePrefix</c>, without slashes; "api" when unset, as in the host.</summary>
    public string RoutePrefix => (this["extensions:http:routePrefix"] ?? DefaultRoutePrefix).Trim('/');

    /// <summary>
    /// <c>extensions.http.customHeaders</c>: headers the host adds to every HTTP response that does not set
    /// them itself (names as written, overrides per name).
    /// </summary>
    public IReadOnlyDictionary<string, string> CustomHeaders()
    {
        const string path = "extensions:http:customHeaders";
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in file.GetSection(path).GetChildren().Concat(settings.GetSection($"{OverrideSection}:{path}").GetChildren()))
        {
            if (header.Value is { } value)
            {
                headers[header.Key] = value;
            }
        }
        return headers;
    }

    /// <exception cref="DevHostStartupException">A value of <c>extensions.queues</c> is out of range.</exception>
    public QueueHostOptions Queues() => QueueHostOptions.Read(this);
}
