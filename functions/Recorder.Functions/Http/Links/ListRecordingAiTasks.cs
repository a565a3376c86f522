using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Recorder.Core.Api;
using Recorder.Core.Links;
using Recorder.Core.Recordings;
using Recorder.Core.Security;

namespace Recorder.Functions.Http.Links;

/// <summary>The AI tasks about a recording with their status, newest first, a keyset page at a time.</summary>
public sealed class ListRecordingAiTasks(HttpApi api, RecordingLinksService links, IOptions<RecordingsOptions> options)
{
    [Function(nameof(ListRecordingAiTasks))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "recordings/{id}/ai-tasks")] HttpRequest req,
        string id,
        CancellationToken cancellationToken)
        => api.RunWithRouteIdAsync(req, id, RecordingScopes.Read, async (caller, recordingId, request) =>
        {
            var query = AiTaskListQuery.Parse(req.Query, options.Value);
            return query.Failure is { } invalid
                ? Problems.From(invalid)
                : HttpApi.Respond(await links.ListAiTasksAsync(caller, recordingId, query.Value!, request, cancellationToken),
                    page => new OkObjectResult(page));
        }, cancellationToken);
}
