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
        => api.RunWithRouteIdAsync(req, id, RecordingScopes.Write, async (caller, recordingId, request) =>
            await HttpApi.RespondAsync(
                await JsonRequest.ReadAsync(req, (CreateContentRequest body) => body.Validate(), cancellationToken),
                content => links.CreateContentAsync(caller, recordingId, content, request, cancellationToken),
                LinkResults.Of), cancellationToken);
}
