using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Links;
using Recorder.Core.Security;

namespace Recorder.Functions.Http.Links;

/// <summary>A draft social post of the main app with a completed recording as its media, one per content type.</summary>
public sealed class CreateRecordingSocialPost(HttpApi api, RecordingLinksService links)
{
    [Function(nameof(CreateRecordingSocialPost))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "recordings/{id}/social-posts")] HttpRequest req,
        string id,
        CancellationToken cancellationToken)
        => api.RunWithRouteIdAsync(req, id, RecordingScopes.Write, async (caller, recordingId, request) =>
            await HttpApi.RespondAsync(
                await JsonRequest.ReadAsync(req, (CreateSocialPostRequest body) => body.Validate(), cancellationToken),
                post => links.CreateSocialPostAsync(caller, recordingId, post, request, cancellationToken),
                LinkResults.Of), cancellationToken);
}
