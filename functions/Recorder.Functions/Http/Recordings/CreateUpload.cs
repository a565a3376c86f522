using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Security;
using Recorder.Core.Uploads;

namespace Recorder.Functions.Http.Recordings;

/// <summary>Records a new recording in status 'uploading' and returns the URL the browser uploads it to.</summary>
public sealed class CreateUpload(HttpApi api, UploadService uploads)
{
    [Function(nameof(CreateUpload))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "recordings/uploads")] HttpRequest req,
        CancellationToken cancellationToken)
        => api.RunAsync(req, RecordingScopes.Write, async (caller, request) =>
            await HttpApi.RespondAsync(
                await JsonRequest.ReadAsync<CreateUploadRequest>(req, cancellationToken),
                body => uploads.CreateAsync(caller, body, request, cancellationToken),
                ticket => new CreatedResult($"/api/recordings/{ticket.RecordingId}", ticket)), cancellationToken);
}
