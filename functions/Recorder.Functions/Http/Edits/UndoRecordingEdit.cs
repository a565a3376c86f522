using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Edits;
using Recorder.Core.Security;

namespace Recorder.Functions.Http.Edits;

/// <summary>Takes back the recording's last applied edit.</summary>
public sealed class UndoRecordingEdit(HttpApi api, EditsService edits)
{
    [Function(nameof(UndoRecordingEdit))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "recordings/{id}/edits/undo")] HttpRequest req,
        string id,
        CancellationToken cancellationToken)
        => api.RunWithRouteIdAsync(req, id, RecordingScopes.Write, async (caller, recordingId, request) =>
            await HttpApi.RespondAsync(
                await EditRequests.ReadBaseVersionAsync(req, cancellationToken),
                baseVersion => edits.UndoAsync(caller, recordingId, baseVersion, request, cancellationToken),
                result => new VersionedResult(new OkObjectResult(result), result.Version)), cancellationToken);
}
