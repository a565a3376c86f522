using Microsoft.Extensions.DependencyInjection.Extensions;
using Recorder.Core;
using Recorder.Core.Configuration;
using Recorder.Functions.Http;

namespace Recorder.DevHost;

/// <summary>
/// Builds the dev host: the Functions app's settings and services, its HTTP functions on Kestrel, its
/// timers on their schedules, its queue functions on their queues, the Event Grid bridge and the demo page.
/// A local stand-in for the Functions host, never production.
/// </summary>
public static class DevHostApp
{
    public const string DefaultUrl = "http://127.0.0.1:7071";

    /// <summary>Browser origins allowed to call the API (the same setting Bicep gives the Function App's CORS).</summary>
    public const string CorsOriginsSetting = "Cors:AllowedOrigins";

    /// <param name="args">Command line: <c>--settings &lt;local.settings.json&gt;</c>, <c>--urls</c>, any setting.</param>
    /// <param name="overrides">Settings that win over every other source (tests).</param>
    /// <param name="functionTypes">Types to take functions from; the Recorder.Functions assembly when null (tests pass their own).</param>
    /// <param name="configureServices">Runs after the app's services are registered, to replace some (tests).</param>
    /// <exception cref="DevHostStartupException">A function or a setting the dev host cannot start with.</exception>
    public static WebApplication Build(
        string[] args,
        IDictionary<string, string?>? overrides = null,
        IEnumerable<Type>? functionTypes = null,
        Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        // As under Core Tools: local.settings.json's Values, overridden by the environment (and the command line).
        if (LocateSettings(builder.Configuration["settings"]) is { } settingsFile)
        {
            builder.Configuration.AddLocalSettingsFile(settingsFile);
        }
        builder.Configuration.AddEnvironmentVariables().AddCommandLine(args)
            .AddInMemoryCollection(overrides ?? new Dictionary<string, string?>());
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
        builder.WebHost.ConfigureKestrel(ProblemResponses.RaiseKestrelLimits);

        var hostJson = RepositoryLayout.HostJson(builder.Configuration);
        var catalog = FunctionCatalog.Create(functionTypes ?? typeof(Health).Assembly.GetTypes(), builder.Configuration,
            hostJson.RoutePrefix);
        var keys = new FunctionKeyCheck(builder.Configuration, catalog);
        var queueOptions = hostJson.Queues();
        var bridgeSettings = EventGridBridgeSettings.Read(builder.Configuration);

        builder.Services.AddRecorderCore(builder.Configuration);
        builder.Services.AddMvcCore(); // the executors and JSON formatter IActionResults need
        // What the Functions host's CORS setting does in Azure: browser pages on these origins may call the API with their cookies.
        var corsOrigins = builder.Configuration.GetSection(CorsOriginsSetting).Get<string[]>() ?? [];
        builder.Services.AddCors(
            cors => cors.AddDefaultPolicy(policy => policy.WithOrigins(corsOrigins).AllowAnyHeader().AllowAnyMethod().AllowCredentials()));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(catalog);
        builder.Services.AddHostedService<TimerFunctionRunner>();
        builder.Services.AddSingleton(queueOptions);
        builder.Services.AddHostedService<QueueFunctionRunner>();
        builder.Services.AddSingleton(bridgeSettings);
        // Event Grid waits 30 s for a webhook's answer.
        builder.Services.AddHttpClient(EventGridBridge.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(30));
        builder.Services.AddHostedService<EventGridBridge>();
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        DevHostLog.FunctionsDiscovered(app.Logger, catalog.Functions.Count, catalog.ToTable());
        app.UseHostCustomHeaders(hostJson.CustomHeaders());
        app.UseProblemResponses();
        if (RepositoryLayout.RecorderPageFolder() is { } page)
        {
            app.UseRecorderPage(page);
        }
        app.UseCors();
        app.MapHttpFunctions(catalog, keys);
        app.MapDemoSignIn(); // dev host only: a demo user's session for the demo page
        return app;
    }

    private static string? LocateSettings(string? explicitPath)
    {
        try
        {
            return LocalSettings.Locate(explicitPath);
        }
        catch (FileNotFoundException exception)
        {
            throw new DevHostStartupException(exception.Message);
        }
    }
}
