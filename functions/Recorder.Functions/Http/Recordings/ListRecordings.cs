using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Recorder.Core.Api;
using Recorder.Core.Recordings;
using Recorder.Core.Security;

namespace Recorder.Functions.Http.Recordings;

/// <summary>The caller's recordings, newest first, a keyset page at a time.</summary>
public sealed class ListRecordings(HttpApi api, RecordingsService recordings, IOptions<RecordingsOptions> options)
{
    [Function(nameof(ListRecordings))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "recordings")] HttpRequest req,
        CancellationToken cancellationToken)
        => api.RunAsync(req, RecordingScopes.Read, async (caller, request) =>
        {
            var query = RecordingListQuery.Parse(req.Query, options.Value);
            if (query.Failure is { } invalid)
            {
                return Problems.From(invalid);
            }
            return HttpApi.Respond(await recordings.ListAsync(caller, query.Value!, request, cancellationToken),
                page => new OkObjectResult(page));
        }, cancellationToken);
}
