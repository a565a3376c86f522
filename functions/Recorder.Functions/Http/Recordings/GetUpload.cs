using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.LiveUploads;
using Recorder.Core.Security;

namespace Recorder.Functions.Http.Recordings;

/// <summary>
/// The blocks storage holds for a recording still uploading, so a browser can resume it; for a live upload, contact too
/// (hence the write scope).
/// </summary>
public sealed class GetUpload(HttpApi api, LiveUploadService liveUploads)
{
    [Function(nameof(GetUpload))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "recordings/{id}/upload")] HttpRequest req,
        string id,
        CancellationToken cancellationToken)
        => api.RunWithRouteIdAsync(req, id, RecordingScopes.Write, async (caller, recordingId, request) =>
            HttpApi.Respond(await liveUploads.GetAsync(caller, recordingId, request, cancellationToken),
                state => new OkObjectResult(state)), cancellationToken);
}
