using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Links;
using Recorder.Core.Security;

namespace Recorder.Functions.Http.Links;

/// <summary>Queues an AI task (transcription, thumbnail, analysis, captions) about a completed recording for the main app's worker.</summary>
public sealed class CreateRecordingAiTask(HttpApi api, RecordingLinksService links)
{
    [Function(nameof(CreateRecordingAiTask))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "recordings/{id}/ai-tasks")] HttpRequest req,
        string id,
        CancellationToken cancellationToken)
        => api.RunForRecordingAsync(req, id, RecordingScopes.Write, async (caller, recordingId, request) =>
        {
            var body = await JsonRequest.ReadAsync<CreateAiTaskRequest>(req, cancellationToken);
            var taskType = body.Failure is null ? body.Value!.Validate() : body.Failure;
            return taskType.Failure is { } invalid
                ? Problems.From(invalid)
                : HttpApi.Respond(await links.CreateAiTaskAsync(caller, recordingId, taskType.Value!, request, cancellationToken), LinkResults.Of);
        }, cancellationToken);
}
