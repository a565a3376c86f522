using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Recorder.Core.Api;
using Recorder.Core.Recordings;
using Recorder.Core.Security;

namespace Recorder.Functions.Http.Recordings;

/// <summary>
/// Renames, re-describes, moves to another project, changes the quality label of a recording or sets its slide timeline.
/// </summary>
public sealed class UpdateRecording(HttpApi api, RecordingsService recordings, IOptions<RecordingsOptions> options)
{
    [Function(nameof(UpdateRecording))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "recordings/{id}")] HttpRequest req,
        string id,
        CancellationToken cancellationToken)
        => api.RunWithRouteIdAsync(req, id, RecordingScopes.Write, async (caller, recordingId, request) =>
            await HttpApi.RespondAsync(
                await JsonRequest.ReadAsync(req,
                    (Dictionary<string, JsonElement> body) => RecordingPatch.Parse(body, options.Value.MaxMetadataBytes),
                    cancellationToken),
                patch => recordings.UpdateAsync(caller, recordingId, patch, request, cancellationToken),
                view => new OkObjectResult(view)), cancellationToken);
}
