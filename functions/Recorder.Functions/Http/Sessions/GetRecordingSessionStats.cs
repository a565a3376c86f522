using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Recorder.Core.Api;
using Recorder.Core.Security;
using Recorder.Core.Sessions;

namespace Recorder.Functions.Http.Sessions;

/// <summary>The caller's sessions counted by status, with failure rates, by recording type and by browser.</summary>
public sealed class GetRecordingSessionStats(
    HttpApi api, RecordingSessionsService sessions, IOptions<SessionOptions> options, TimeProvider time)
{
    [Function(nameof(GetRecordingSessionStats))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "recording-sessions/stats")] HttpRequest req,
        CancellationToken cancellationToken)
        => api.RunAsync(req, RecordingScopes.Read, async (caller, request) =>
        {
            var query = SessionStatsQuery.Parse(req.Query, options.Value, time.GetUtcNow());
            if (query.Failure is { } invalid)
            {
                return Problems.From(invalid);
            }
            return new OkObjectResult(await sessions.GetStatsAsync(caller, query.Value!, request, cancellationToken));
        }, cancellationToken);
}
