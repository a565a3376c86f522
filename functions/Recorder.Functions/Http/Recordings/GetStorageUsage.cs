using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Recordings;
using Recorder.Core.Security;

namespace Recorder.Functions.Http.Recordings;

/// <summary>The caller's storage: bytes used, limit, percentage, counts by type.</summary>
public sealed class GetStorageUsage(HttpApi api, RecordingsService recordings)
{
    [Function(nameof(GetStorageUsage))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "me/storage")] HttpRequest req,
        CancellationToken cancellationToken)
        => api.RunAsync(req, RecordingScopes.Read, async (caller, _) =>
            new OkObjectResult(await recordings.GetStorageAsync(caller, cancellationToken)), cancellationToken);
}
