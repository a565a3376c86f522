using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Security;
using Recorder.Core.Sessions;

namespace Recorder.Functions.Http.Sessions;

/// <summary>Ends an active session as 'completed', with its duration and the recording it produced.</summary>
public sealed class CompleteRecordingSession(HttpApi api, RecordingSessionsService sessions)
{
    [Function(nameof(CompleteRecordingSession))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "recording-sessions/{id}/complete")] HttpRequest req,
        string id,
        CancellationToken cancellationToken)
        => api.RunWithRouteIdAsync(req, id, RecordingScopes.Write, async (caller, sessionId, request) =>
            await HttpApi.RespondAsync(
                await JsonRequest.ReadAsync<CompleteSessionRequest>(req, cancellationToken),
                body => sessions.CompleteAsync(caller, sessionId, body, request, cancellationToken),
                session => new OkObjectResult(session)), cancellationToken);
}
