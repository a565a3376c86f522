using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Recorder.Core.Tests.Fixtures;

/// <summary>A POST as the receiver got it: the raw body, the signature and event-id headers, and when.</summary>
internal sealed record ReceivedPost(string Path, string Body, string? Signature, string? EventId, DateTimeOffset ReceivedAt);

/// <summary>
/// A real HTTP listener on loopback (Kestrel) that keeps every POST it receives, as JSON (<see cref="Received"/>) and as
/// it came (<see cref="Posts"/>), and answers with a status the test sets.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication app;

    private WebhookReceiver(WebApplication app) => this.app = app;

    public Channel<(string Path, string Query, JsonElement Body)> Received { get; } = Channel.CreateUnbounded<(string, string, JsonElement)>();

    public ConcurrentQueue<ReceivedPost> Posts { get; } = new();

    public HttpStatusCode Answer { get; set; } = HttpStatusCode.NoContent;

    /// <summary>How long to wait before answering (a slow webhook).</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.Zero;

    public string BaseUrl => app.Urls.Single();

    /// <param name="port">0 for any free port; a given one, closed until now, to bring a "down" webhook up.</param>
    public static async Task<WebhookReceiver> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            receiver.Posts.Enqueue(new ReceivedPost(context.Request.Path.Value ?? "", body,
                context.Request.Headers["Recorder-Signature"].SingleOrDefault(), context.Request.Headers["Recorder-Event-Id"].SingleOrDefault(),
                DateTimeOffset.UtcNow));
            await receiver.Received.Writer.WriteAsync(
                (context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "", JsonSerializer.Deserialize<JsonElement>(body)));
            if (receiver.Delay > TimeSpan.Zero)
            {
                await Task.Delay(receiver.Delay, context.RequestAborted);
            }
            return Results.StatusCode((int)receiver.Answer);
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Every POST received so far, without waiting.</summary>
    public List<(string Path, string Query, JsonElement Body)> Drain()
    {
        var received = new List<(string, string, JsonElement)>();
        while (Received.Reader.TryRead(out var item))
        {
            received.Add(item);
        }
        return received;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
