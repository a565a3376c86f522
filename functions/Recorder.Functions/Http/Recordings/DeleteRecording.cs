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
        => api.RunAsync(req, RecordingScopes.Delete, async (caller, request) =>
        {
            var recordingId = HttpApi.ParseId(id);
            if (recordingId.Failure is { } invalid)
            {
                return Problems.From(invalid);
            }
            return HttpApi.Respond(await recordings.DeleteAsync(caller, recordingId.Value, request, cancellationToken), _ => new NoContentResult());
        }, cancellationToken);
}
