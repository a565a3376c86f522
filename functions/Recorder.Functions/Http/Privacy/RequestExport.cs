using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Privacy;
using Recorder.Core.Security;

namespace Recorder.Functions.Http.Privacy;

/// <summary>Asks for an export of all the caller's recorder data; 202 with the export (the one already in the making, if any).</summary>
public sealed class RequestExport(HttpApi api, PrivacyExportService exports)
{
    [Function(nameof(RequestExport))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "me/export")] HttpRequest req,
        CancellationToken cancellationToken)
        => api.RunAsync(req, RecordingScopes.Read, async (caller, request) =>
        {
            var requested = await exports.RequestAsync(caller, request, cancellationToken);
            return new AcceptedResult($"/api/me/exports/{requested.Export.Id}", requested.Export);
        }, cancellationToken);
}
