using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Recordings;
using Recorder.Core.Security;

namespace Recorder.Functions.Http.Recordings;

/// <summary>Deletes a recording with its media and thumbnail.</summary>
public sealed class DeleteRecording(HttpApi api, RecordingsService recordings)
{
    [Function(nameof(DeleteRecording))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "recordings/{id}")] HttpRequest req,
        string id,
        CancellationToken cancellationToken)
        => api.RunWithRouteIdAsync(req, id, RecordingScopes.Delete, async (caller, recordingId, request) =>
            HttpApi.Respond(await recordings.DeleteAsync(caller, recordingId, request, cancellationToken), _ => new NoContentResult()),
            cancellationToken);
}
