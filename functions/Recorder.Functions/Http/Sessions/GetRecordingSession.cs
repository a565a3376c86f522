using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Security;
using Recorder.Core.Sessions;

namespace Recorder.Functions.Http.Sessions;

/// <summary>
/// One recording session. The route takes digits only: the Functions host orders routes by function name,
/// not by ASP.NET precedence, so an unconstrained {id} could swallow recording-sessions/stats.
/// </summary>
public sealed class GetRecordingSession(HttpApi api, RecordingSessionsService sessions)
{
    [Function(nameof(GetRecordingSession))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "recording-sessions/{id:long}")] HttpRequest req,
        string id,
        CancellationToken cancellationToken)
        => api.RunWithRouteIdAsync(req, id, RecordingScopes.Read, async (caller, sessionId, request) =>
            HttpApi.Respond(await sessions.GetAsync(caller, sessionId, request, cancellationToken), session => new OkObjectResult(session)),
            cancellationToken);
}
