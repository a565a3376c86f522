using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Links;
using Recorder.Core.Security;

namespace Recorder.Functions.Http.Links;

/// <summary>
/// Queues an AI task (transcription, thumbnail, analysis, captions) about a completed recording for the main app's worker.
/// </summary>
public sealed class CreateRecordingAiTask(HttpApi api, RecordingLinksService links)
{
    [Function(nameof(CreateRecordingAiTask))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "recordings/{id}/ai-tasks")] HttpRequest req,
        string id,
        CancellationToken cancellationToken)
        => api.RunWithRouteIdAsync(req, id, RecordingScopes.Write, async (caller, recordingId, request) =>
            await HttpApi.RespondAsync(
                await JsonRequest.ReadAsync(req, (CreateAiTaskRequest body) => body.Validate(), cancellationToken),
                taskType => links.CreateAiTaskAsync(caller, recordingId, taskType, request, cancellationToken),
                LinkResults.Of), cancellationToken);
}
