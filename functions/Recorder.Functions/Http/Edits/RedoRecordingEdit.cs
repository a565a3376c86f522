using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Edits;
using Recorder.Core.Security;

namespace Recorder.Functions.Http.Edits;

/// <summary>Applies again the edit the last undo took back.</summary>
public sealed class RedoRecordingEdit(HttpApi api, EditsService edits)
{
    [Function(nameof(RedoRecordingEdit))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "recordings/{id}/edits/redo")] HttpRequest req,
        string id,
        CancellationToken cancellationToken)
        => api.RunWithRouteIdAsync(req, id, RecordingScopes.Write, async (caller, recordingId, request) =>
            await HttpApi.RespondAsync(
                await EditRequests.ReadBaseVersionAsync(req, cancellationToken),
                baseVersion => edits.RedoAsync(caller, recordingId, baseVersion, request, cancellationToken),
                result => new VersionedResult(new OkObjectResult(result), result.Version)), cancellationToken);
}
