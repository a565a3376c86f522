using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Privacy;
using Recorder.Core.Security;

namespace Recorder.Functions.Http.Privacy;

/// <summary>
/// Erases all the caller's recorder data: 202 at once with the receipt and where to follow it (the recordings are
/// gone already; a queue worker does the rest); the same erasure while one is open; 409 under a legal hold.
/// </summary>
public sealed class EraseRecordingsData(HttpApi api, ErasureService erasures)
{
    [Function(nameof(EraseRecordingsData))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "me/recordings-data")] HttpRequest req,
        CancellationToken cancellationToken)
        => api.RunAsync(req, RecordingScopes.Delete, async (caller, _) =>
            HttpApi.Respond(await erasures.RequestAsync(caller.UserId, cancellationToken), receipt =>
            {
                var status = GetErasure.WithStatusUrl(receipt);
                return new AcceptedResult(status.StatusUrl, status);
            }), cancellationToken);
}
