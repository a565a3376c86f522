using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Privacy;
using Recorder.Core.Security;

namespace Recorder.Functions.Http.Privacy;

/// <summary>An export's status and, once ready, a short-lived download URL; another user's export is 404.</summary>
public sealed class GetExport(HttpApi api, PrivacyExportService exports)
{
    [Function(nameof(GetExport))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "me/exports/{id}")] HttpRequest req,
        string id,
        CancellationToken cancellationToken)
        => api.RunWithRouteIdAsync(req, id, RecordingScopes.Read, async (caller, exportId, request) =>
            HttpApi.Respond(await exports.GetAsync(caller, exportId, request, cancellationToken), export => new OkObjectResult(export)),
            cancellationToken);
}
