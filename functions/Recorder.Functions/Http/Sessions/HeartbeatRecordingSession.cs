using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Security;
using Recorder.Core.Sessions;

namespace Recorder.Functions.Http.Sessions;

/// <summary>
/// Keeps an active session (and its live upload) alive; without heartbeats the stale-session sweep interrupts it.
/// </summary>
public sealed class HeartbeatRecordingSession(HttpApi api, RecordingSessionsService sessions)
{
    [Function(nameof(HeartbeatRecordingSession))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "recording-sessions/{id}/heartbeat")] HttpRequest req,
        string id,
        CancellationToken cancellationToken)
        => api.RunWithRouteIdAsync(req, id, RecordingScopes.Write, async (caller, sessionId, request) =>
            await HttpApi.RespondAsync(
                await JsonRequest.ReadOptionalAsync<HeartbeatSessionRequest>(req, cancellationToken),
                body => sessions.HeartbeatAsync(caller, sessionId, body, request, cancellationToken),
                _ => new NoContentResult()), cancellationToken);
}
