using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.DevHost;
using Recorder.Functions.Http;

namespace Recorder.Bench.Common;

/// <summary>
/// <c>Recorder.Bench host</c>: the dev host (<see cref="DevHostApp"/>) with the app's functions plus
/// <see cref="BenchPing"/>, the cheapest function the host can serve, as the ceiling the API is compared with.
/// Run as a child process by <see cref="DevHostProcess"/>, settings from the environment.
/// </summary>
public static class BenchHost
{
    public static int Run(string[] args)
    {
        var functions = typeof(Health).Assembly.GetTypes().Append(typeof(BenchPing));
        WebApplication app;
        try
        {
            app = DevHostApp.Build(args, functionTypes: functions);
        }
        catch (DevHostStartupException exception)
        {
            Console.Error.WriteLine(exception.Message);
            return 1;
        }
        app.Run();
        return 0;
    }
}

/// <summary>An anonymous GET that does nothing: what the dev host's routing, function invocation and Kestrel cost alone.</summary>
public sealed class BenchPing
{
    public const string Route = "bench/ping";

    [Function(nameof(BenchPing))]
    public IActionResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route)] HttpRequest req) => new OkResult();
}
