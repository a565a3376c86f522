using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Links;
using Recorder.Core.Security;

namespace Recorder.Functions.Http.Links;

/// <summary>A draft content item of the main app made from a completed recording, one per platform.</summary>
public sealed class CreateRecordingContent(HttpApi api, RecordingLinksService links)
{
    [Function(nameof(CreateRecordingContent))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "recordings/{id}/content")] HttpRequest req,
        string id,
        CancellationToken cancellationToken)
        => api.RunForRecordingAsync(req, id, RecordingScopes.Write, async (caller, recordingId, request) =>
        {
            var body = await JsonRequest.ReadAsync<CreateContentRequest>(req, cancellationToken);
            var content = body.Failure is null ? body.Value!.Validate() : body.Failure;
            return content.Failure is { } invalid
                ? Problems.From(invalid)
                : HttpApi.Respond(await links.CreateContentAsync(caller, recordingId, content.Value!, request, cancellationToken), LinkResults.Of);
        }, cancellationToken);
}
