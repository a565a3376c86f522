using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Privacy;
using Recorder.Core.Security;

namespace Recorder.Functions.Http.Privacy;

/// <summary>
/// Erases all the caller's recorder data; answers with the receipt: 200 once the rows are gone, 202 while the
/// erasure is still pending (storage unreachable: the privacy sweep finishes it), 409 under a legal hold.
/// </summary>
public sealed class EraseRecordingsData(HttpApi api, ErasureService erasures)
{
    [Function(nameof(EraseRecordingsData))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "me/recordings-data")] HttpRequest req,
        CancellationToken cancellationToken)
        => api.RunAsync(req, RecordingScopes.Delete, async (caller, _) =>
            HttpApi.Respond(await erasures.EraseAsync(caller.UserId, ErasureReceipt.ByUser, progress: null, cancellationToken),
                receipt => receipt.Status == ErasureReceipt.Pending ? new AcceptedResult((string?)null, receipt) : new OkObjectResult(receipt)), cancellationToken);
}
