using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Security;
using Recorder.Core.Uploads;

namespace Recorder.Functions.Http.Recordings;

/// <summary>A fresh upload URL for the same blob while the recording is still 'uploading' (long or resumed uploads).</summary>
public sealed class RenewUploadUrl(HttpApi api, UploadService uploads)
{
    [Function(nameof(RenewUploadUrl))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "recordings/{id}/upload-url")] HttpRequest req,
        string id,
        CancellationToken cancellationToken)
        => api.RunWithRouteIdAsync(req, id, RecordingScopes.Write, async (caller, recordingId, request) =>
            HttpApi.Respond(await uploads.RenewAsync(caller, recordingId, request, cancellationToken),
                ticket => new OkObjectResult(ticket)), cancellationToken);
}
