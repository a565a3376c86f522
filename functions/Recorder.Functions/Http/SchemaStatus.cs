using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Recorder.Core.Api;
using Recorder.Core.Migrations;

namespace Recorder.Functions.Http;

/// <summary>Which migrations the database has, for operators checking a deployment (function key required).</summary>
public sealed class SchemaStatus(HttpApi api, MigrationJournal journal)
{
    [Function(nameof(SchemaStatus))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "ops/schema")] HttpRequest req,
        CancellationToken cancellationToken)
        => api.ServeAsync(req, async () =>
        {
            var applied = await journal.ListAppliedAsync(cancellationToken);
            return new OkObjectResult(new { latest = applied.Count > 0 ? applied[^1].Name : null, applied });
        });
}
