using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.DevHost;

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

    // Throws before it returns a task, out of the invoker's call itself rather than out of the awaited task.
    [Function("ThrowsAtOnce")]
    public Task<IActionResult> ThrowsAtOnce([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "throws-at-once")] HttpRequest req)
        => throw new InvalidOperationException("secret connection detail");
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

/// <summary>What the test queue functions received; one per dev host, registered as a singleton.</summary>
public sealed class QueueProbe
{
    /// <summary>The connection setting the test queue functions name; tests point it at Azurite.</summary>
    public const string Connection = "TestQueues";

    private readonly ConcurrentQueue<object?> received = new();

    /// <summary>Holds <see cref="BlockingQueueFunction"/> until the test releases it.</summary>
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<object?> Received => [.. received];

    public void Record(object? message) => received.Enqueue(message);
}

public sealed record TestQueueMessage(string Name, int Count);

public sealed class TextQueueFunction(QueueProbe probe)
{
    [Function("TextQueue")]
    public Task Run([QueueTrigger("%TextQueueName%", Connection = QueueProbe.Connection)] string message, CancellationToken cancellationToken)
    {
        probe.Record(message);
        return Task.CompletedTask;
    }
}

/// <summary>A queue name that mixes a setting and literal text.</summary>
public sealed class JsonQueueFunction(QueueProbe probe)
{
    [Function("JsonQueue")]
    public void Run([QueueTrigger("%QueuePrefix%-json", Connection = QueueProbe.Connection)] TestQueueMessage message) => probe.Record(message);
}

public sealed class BinaryQueueFunction(QueueProbe probe)
{
    [Function("BinaryQueue")]
    public void Run([QueueTrigger("%BinaryQueueName%", Connection = QueueProbe.Connection)] BinaryData message) => probe.Record(message.ToArray());
}

public sealed class FailingQueueFunction(QueueProbe probe)
{
    [Function("FailingQueue")]
    public async Task Run([QueueTrigger("%FailingQueueName%", Connection = QueueProbe.Connection)] string message, CancellationToken cancellationToken)
    {
        await Task.Yield();
        probe.Record(message);
        throw new InvalidOperationException("queue failure");
    }
}

public sealed class BlockingQueueFunction(QueueProbe probe)
{
    [Function("BlockingQueue")]
    public async Task Run([QueueTrigger("%BlockingQueueName%", Connection = QueueProbe.Connection)] byte[] message, CancellationToken cancellationToken)
    {
        probe.Record(message);
        await probe.Release.Task.WaitAsync(cancellationToken);
    }
}

/// <summary>No Connection: the host's default, AzureWebJobsStorage.</summary>
public sealed class DefaultConnectionQueueFunction
{
    [Function("DefaultConnectionQueue")]
    public void Run([QueueTrigger("fixed-queue")] string message)
    {
    }
}

// One queue function per type below: each is a start-up error the catalog must report.

public sealed class QueueWithExtraParameterFunction
{
    [Function("QueueWithName")]
    public void Run([QueueTrigger("fixed-queue")] string message, string name)
    {
    }
}

public sealed class QueueOfIntFunction
{
    [Function("QueueOfInt")]
    public void Run([QueueTrigger("fixed-queue")] int message)
    {
    }
}

public sealed class QueueWithOutputFunction
{
    [Function("QueueWithOutput")]
    public Task<string> Run([QueueTrigger("fixed-queue")] string message) => Task.FromResult(message);
}

public sealed class InvalidQueueNameFunction
{
    [Function("InvalidQueueName")]
    public void Run([QueueTrigger("bad_queue")] string message)
    {
    }
}

public sealed class UnsetConnectionQueueFunction
{
    [Function("UnsetConnectionQueue")]
    public void Run([QueueTrigger("fixed-queue", Connection = "NoSuchStorage")] string message)
    {
    }
}

public sealed class MissingQueueSettingFunction
{
    [Function("UnsetQueueName")]
    public void Run([QueueTrigger("%NoSuchQueueSetting%-in")] string message)
    {
    }
}

/// <summary>What the test webhook was posted; one per dev host, registered as a singleton.</summary>
public sealed class WebhookProbe
{
    private readonly ConcurrentQueue<WebhookDelivery> deliveries = new();
    private int failuresLeft;

    public IReadOnlyList<WebhookDelivery> Deliveries => [.. deliveries];

    /// <summary>Answer the next <paramref name="count"/> deliveries with 500.</summary>
    public void FailNext(int count) => Volatile.Write(ref failuresLeft, count);

    /// <returns>The status to answer.</returns>
    public int Record(string body, string? key)
    {
        var status = Interlocked.Decrement(ref failuresLeft) >= 0 ? StatusCodes.Status500InternalServerError : StatusCodes.Status200OK;
        deliveries.Enqueue(new WebhookDelivery(body, key, status));
        return status;
    }
}

public sealed record WebhookDelivery(string Body, string? Key, int Status);

/// <summary>The function the Event Grid bridge posts to by default, Function level like the app's.</summary>
public sealed class BlobCreatedWebhookFunction(WebhookProbe probe)
{
    [Function("BlobCreatedWebhook")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "events/blob-created")] HttpRequest req, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(req.Body);
        var body = await reader.ReadToEndAsync(cancellationToken);
        return new StatusCodeResult(probe.Record(body, req.Headers[FunctionKeyCheck.KeyHeader].FirstOrDefault()));
    }
}
