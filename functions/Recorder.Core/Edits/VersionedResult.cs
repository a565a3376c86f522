using Microsoft.AspNetCore.Mvc;

namespace Recorder.Core.Edits;

/// <summary>A response carrying the recording's edit version as its ETag, for the next change's If-Match.</summary>
public sealed class VersionedResult(IActionResult inner, long version) : IActionResult
{
    public Task ExecuteResultAsync(ActionContext context)
    {
        context.HttpContext.Response.Headers.ETag = VersionTag.Format(version);
        return inner.ExecuteResultAsync(context);
    }
}
