using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Privacy;
using Recorder.Core.Security;

namespace Recorder.Functions.Http.Privacy;

/// <summary>An erasure's state and counts, for the user it erased only (another user's erasure is 404).</summary>
public sealed class GetErasure(HttpApi api, ErasureService erasures)
{
    [Function(nameof(GetErasure))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "me/erasures/{id}")] HttpRequest req,
        string id,
        CancellationToken cancellationToken)
        => api.RunWithRouteIdAsync(req, id, RecordingScopes.Read, async (caller, erasureId, _) =>
            HttpApi.Respond(await erasures.GetAsync(caller.UserId, erasureId, cancellationToken),
                receipt => new OkObjectResult(WithStatusUrl(receipt))), cancellationToken);

    /// <summary>The receipt with the URL of this function for it.</summary>
    public static ErasureReceipt WithStatusUrl(ErasureReceipt receipt)
        => receipt with { StatusUrl = $"/api/me/erasures/{receipt.ErasureId}" };
}
