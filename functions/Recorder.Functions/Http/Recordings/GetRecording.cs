using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Recordings;
using Recorder.Core.Security;

namespace Recorder.Functions.Http.Recordings;

/// <summary>One recording with short-lived read URLs for its media and thumbnail.</summary>
public sealed class GetRecording(HttpApi api, RecordingsService recordings)
{
    [Function(nameof(GetRecording))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "recordings/{id}")] HttpRequest req,
        string id,
        CancellationToken cancellationToken)
        => api.RunWithRouteIdAsync(req, id, RecordingScopes.Read, async (caller, recordingId, request) =>
            HttpApi.Respond(await recordings.GetAsync(caller, recordingId, request, cancellationToken), view => new OkObjectResult(view)),
            cancellationToken);
}
