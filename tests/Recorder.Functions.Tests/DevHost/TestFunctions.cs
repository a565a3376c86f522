using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

// Test-only functions, handed to the dev host's catalog by type: never part of the real app.
namespace Recorder.Functions.Tests.DevHost;

public sealed class KeyedFunctions
{
    [Function("Open")]
    public IActionResult Open([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "open")] HttpRequest req)
        => new OkObjectResult(new { Greeting = "hello" });

    [Function("Keyed")]
    public IActionResult Keyed([HttpTrigger(AuthorizationLevel.Function, "get", Route = "keyed")] HttpRequest req)
        => new OkResult();

    [Function("AdminOnly")]
    public IActionResult AdminOnly([HttpTrigger(AuthorizationLevel.Admin, "get", Route = "admin-only")] HttpRequest req)
        => new OkResult();
}

public sealed class RouteFunctions
{
    [Function("GetItem")]
    public IActionResult GetItem([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "items/{id}")] HttpRequest req, long id)
        => new OkObjectResult(new { Id = id });

    [Function("Find")]
    public IActionResult Find([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "find/{key}/{flag?}")] HttpRequest req, Guid key, bool? flag)
        => new OkObjectResult(new { Key = key, Flag = flag });

    [Function("Constrained")]
    public IActionResult Constrained([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "constrained/{id:long}")] HttpRequest req, long id)
        => new OkObjectResult(new { Id = id });

    /// <summary>No route (the function name is the route) and no methods (all of them).</summary>
    [Function("AnyMethod")]
    public async Task<IResult> AnyMethod([HttpTrigger(AuthorizationLevel.Anonymous)] HttpRequest req, CancellationToken cancellationToken)
    {
        await Task.Yield();
        return Results.Text(req.Method, "text/plain");
    }

    [Function("WritesItself")]
    public async Task WritesItself([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "writes")] HttpRequest req, CancellationToken cancellationToken)
    {
        req.HttpContext.Response.StatusCode = StatusCodes.Status202Accepted;
        await req.HttpContext.Response.WriteAsync("accepted", cancellationToken);
    }

    [Function("Throws")]
    public async Task<IActionResult> Throws([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "throws")] HttpRequest req)
    {
        await Task.Yield();
        throw new InvalidOperationException("secret connection detail");
    }
}

// One function per type below: each is a start-up error the catalog must report.

public sealed class BodyParameterFunction
{
    public sealed record Payload(string Name);

    [Function("TakesBody")]
    public IActionResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "body")] HttpRequest req, Payload payload)
        => new OkResult();
}

public sealed class UnmatchedRouteValueFunction
{
    [Function("UnmatchedRouteValue")]
    public IActionResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "things")] HttpRequest req, long thingId)
        => new OkResult();
}

public sealed class OptionalRouteValueFunction
{
    [Function("OptionalNotNullable")]
    public IActionResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "things/{page?}")] HttpRequest req, int page)
        => new OkResult();
}

public sealed class UnsupportedReturnFunction
{
    [Function("ReturnsString")]
    public string Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "text")] HttpRequest req) => "text";
}

public sealed class TimerWithExtraParameterFunction
{
    [Function("TimerWithName")]
    public Task Run([TimerTrigger("0 * * * * *")] TimerInfo timer, string name) => Task.CompletedTask;
}

public sealed class TimeSpanScheduleFunction
{
    [Function("TimeSpanTimer")]
    public Task Run([TimerTrigger("00:05:00")] TimerInfo timer) => Task.CompletedTask;
}

public sealed class MissingScheduleSettingFunction
{
    [Function("UnsetScheduleTimer")]
    public Task Run([TimerTrigger("%NoSuchScheduleSetting%")] TimerInfo timer) => Task.CompletedTask;
}

/// <summary>What the test timers saw; one per dev host, registered as a singleton.</summary>
public sealed class TimerProbe
{
    private readonly ConcurrentQueue<TimerInfo> runs = new();

    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<TimerInfo> Runs => [.. runs];

    public void Record(TimerInfo timer) => runs.Enqueue(timer);
}

public sealed class EverySecondTimer(TimerProbe probe)
{
    [Function("EverySecond")]
    public Task Run([TimerTrigger("* * * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        probe.Record(timer);
        return Task.CompletedTask;
    }
}

/// <summary>Holds its first run until the test releases it, so later occurrences find it still going.</summary>
public sealed class BlockingTimer(TimerProbe probe)
{
    [Function("Blocking")]
    public async Task Run([TimerTrigger("%BlockingSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        probe.Record(timer);
        await probe.Release.Task.WaitAsync(cancellationToken);
    }
}

public sealed class FailingTimer(TimerProbe probe)
{
    [Function("Failing")]
    public void Run([TimerTrigger("* * * * * *")] TimerInfo timer)
    {
        probe.Record(timer);
        throw new InvalidOperationException("timer failure");
    }
}

public sealed class StartupTimer(TimerProbe probe)
{
    [Function("OnStartup")]
    public Task Run([TimerTrigger("0 0 0 1 1 *", RunOnStartup = true)] TimerInfo timer)
    {
        probe.Record(timer);
        return Task.CompletedTask;
    }
}
