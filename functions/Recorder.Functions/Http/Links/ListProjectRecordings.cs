using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Recorder.Core.Api;
using Recorder.Core.Links;
using Recorder.Core.Recordings;
using Recorder.Core.Security;

namespace Recorder.Functions.Http.Links;

/// <summary>The recordings of one of the caller's projects, newest first, a keyset page at a time.</summary>
public sealed class ListProjectRecordings(HttpApi api, RecordingLinksService links, IOptions<RecordingsOptions> options)
{
    [Function(nameof(ListProjectRecordings))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{projectId}/recordings")] HttpRequest req,
        string projectId,
        CancellationToken cancellationToken)
        => api.RunAsync(req, RecordingScopes.Read, async (caller, request) =>
        {
            var query = ProjectRecordingsQuery.Parse(projectId, req.Query, options.Value);
            return query.Failure is { } invalid
                ? Problems.From(invalid)
                : HttpApi.Respond(await links.ListProjectRecordingsAsync(caller, query.Value!, request, cancellationToken),
                    page => new OkObjectResult(page));
        }, cancellationToken);
}
