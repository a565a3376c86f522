using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Security;
using Recorder.Core.Sessions;

namespace Recorder.Functions.Http.Sessions;

/// <summary>Starts a recording session ('active'); the server reads browser, OS and device type from the User-Agent.</summary>
public sealed class CreateRecordingSession(HttpApi api, RecordingSessionsService sessions)
{
    [Function(nameof(CreateRecordingSession))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "recording-sessions")] HttpRequest req,
        CancellationToken cancellationToken)
        => api.RunAsync(req, RecordingScopes.Write, async (caller, request) =>
            await HttpApi.RespondAsync(
                await JsonRequest.ReadAsync<CreateSessionRequest>(req, cancellationToken),
                body => sessions.CreateAsync(caller, body, request, cancellationToken),
                session => new CreatedResult($"/api/recording-sessions/{session.Id}", session)), cancellationToken);
}
