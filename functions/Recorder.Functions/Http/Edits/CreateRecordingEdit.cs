using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Edits;
using Recorder.Core.Security;

namespace Recorder.Functions.Http.Edits;

/// <summary>Applies a trim, crop, filter or text overlay on top of the recording's edit version it names.</summary>
public sealed class CreateRecordingEdit(HttpApi api, EditsService edits)
{
    [Function(nameof(CreateRecordingEdit))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "recordings/{id}/edits")] HttpRequest req,
        string id,
        CancellationToken cancellationToken)
        => api.RunWithRouteIdAsync(req, id, RecordingScopes.Write, async (caller, recordingId, request) =>
            await HttpApi.RespondAsync(
                await EditRequests.ReadEditAsync(req, cancellationToken),
                command => edits.ApplyAsync(caller, recordingId, command, request, cancellationToken),
                result => new VersionedResult(new ObjectResult(result) { StatusCode = StatusCodes.Status201Created }, result.Version)),
            cancellationToken);
}
