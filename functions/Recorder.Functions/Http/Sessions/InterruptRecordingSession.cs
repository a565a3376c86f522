using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Security;
using Recorder.Core.Sessions;

namespace Recorder.Functions.Http.Sessions;

/// <summary>Ends an active session as 'interrupted', with the error the page ran into.</summary>
public sealed class InterruptRecordingSession(HttpApi api, RecordingSessionsService sessions)
{
    [Function(nameof(InterruptRecordingSession))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "recording-sessions/{id}/interrupt")] HttpRequest req,
        string id,
        CancellationToken cancellationToken)
        => api.RunWithRouteIdAsync(req, id, RecordingScopes.Write, async (caller, sessionId, request) =>
            await HttpApi.RespondAsync(
                await JsonRequest.ReadAsync<InterruptSessionRequest>(req, cancellationToken),
                body => sessions.InterruptAsync(caller, sessionId, body, request, cancellationToken),
                session => new OkObjectResult(session)), cancellationToken);
}
