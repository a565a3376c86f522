using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Recorder.Core.Api;
using Recorder.Core.Edits;
using Recorder.Core.Recordings;
using Recorder.Core.Security;

namespace Recorder.Functions.Http.Edits;

/// <summary>The recording's edit history, oldest first, every edit with its state (applied, undone, discarded).</summary>
public sealed class ListRecordingEdits(HttpApi api, EditsService edits, IOptions<RecordingsOptions> options)
{
    [Function(nameof(ListRecordingEdits))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "recordings/{id}/edits")] HttpRequest req,
        string id,
        CancellationToken cancellationToken)
        => api.RunWithRouteIdAsync(req, id, RecordingScopes.Read, async (caller, recordingId, request) =>
        {
            var query = EditListQuery.Parse(req.Query, options.Value);
            if (query.Failure is { } invalid)
            {
                return Problems.From(invalid);
            }
            return HttpApi.Respond(
                await edits.ListAsync(caller, recordingId, query.Value!, request, cancellationToken),
                page => new VersionedResult(new OkObjectResult(page), page.Version));
        }, cancellationToken);
}
