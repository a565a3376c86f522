using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Recorder.Core.Links;

public static class LinkResults
{
    /// <summary>201 with the row this call made, 200 with the one an earlier call made.</summary>
    public static IActionResult Of<T>(Linked<T> linked)
        => linked.Created ? new ObjectResult(linked.Row) { StatusCode = StatusCodes.Status201Created } : new OkObjectResult(linked.Row);
}
