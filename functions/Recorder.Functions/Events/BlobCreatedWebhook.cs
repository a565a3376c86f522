using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Ingest;

namespace Recorder.Functions.Events;

/// <summary>
/// Event Grid's webhook for BlobCreated (Event Grid or CloudEvents schema). Answers within Event Grid's
/// 30 s: it only matches the blob and queues the work. 200 when handled or ignored, 400 for a body that
/// can never succeed, 503 when storage or PostgreSQL is unreachable (<see cref="HttpApi.ServeAsync"/>) so Event Grid retries.
/// </summary>
public sealed class BlobCreatedWebhook(HttpApi api, EventGridWebhook webhook)
{
    // Event Grid delivers at most 1 MB per batch; anything larger is not a delivery.
    private const int MaxBodyBytes = 1024 * 1024 + 64 * 1024;

    [Function(nameof(BlobCreatedWebhook))]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "post", "options", Route = "events/blob-created")] HttpRequest req,
        CancellationToken cancellationToken)
    {
        if (HttpMethods.IsOptions(req.Method))
        {
            return CloudEventsHandshake(req);
        }
        if (req.ContentLength > MaxBodyBytes)
        {
            return Problems.Status(StatusCodes.Status413PayloadTooLarge, "An Event Grid delivery is at most 1 MB.");
        }
        return await api.ServeAsync(req, async () =>
            await webhook.HandleAsync(await BinaryData.FromStreamAsync(req.Body, cancellationToken), cancellationToken) switch
            {
                WebhookResult.Validation validation => new OkObjectResult(new { validationResponse = validation.ValidationCode }),
                WebhookResult.Invalid invalid => Problems.From(invalid.Failure),
                var handled => new OkObjectResult(handled),
            });
    }

    // CloudEvents 1.0 webhook validation (abuse protection): allow the requesting origin.
    private static IActionResult CloudEventsHandshake(HttpRequest req)
    {
        var origin = req.Headers["WebHook-Request-Origin"].FirstOrDefault();
        if (string.IsNullOrEmpty(origin))
        {
            return Problems.Status(StatusCodes.Status400BadRequest, "A CloudEvents validation request carries WebHook-Request-Origin.");
        }
        req.HttpContext.Response.Headers["WebHook-Allowed-Origin"] = origin;
        req.HttpContext.Response.Headers["WebHook-Allowed-Rate"] = "*";
        return new OkResult();
    }
}
