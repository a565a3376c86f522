using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Recorder.Core.Api;
using Recorder.Core.Security;
using Recorder.Core.Sessions;

namespace Recorder.Functions.Http.Sessions;

/// <summary>The caller's recording sessions, newest first, a keyset page at a time.</summary>
public sealed class ListRecordingSessions(HttpApi api, RecordingSessionsService sessions, IOptions<SessionOptions> options)
{
    [Function(nameof(ListRecordingSessions))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "recording-sessions")] HttpRequest req,
        CancellationToken cancellationToken)
        => api.RunAsync(req, RecordingScopes.Read, async (caller, request) =>
        {
            var query = SessionListQuery.Parse(req.Query, options.Value);
            if (query.Failure is { } invalid)
            {
                return Problems.From(invalid);
            }
            return new OkObjectResult(await sessions.ListAsync(caller, query.Value!, request, cancellationToken));
        }, cancellationToken);
}
