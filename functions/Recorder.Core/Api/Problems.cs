using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Recorder.Core.Api;

/// <summary>RFC 9457 problem responses (application/problem+json) for every error this API returns.</summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";

    public static IActionResult From(Failure failure)
    {
        var status = (int)failure.Kind;
        var problem = failure.Errors is { Count: > 0 }
            ? new ValidationProblemDetails(failure.Errors.ToDictionary(pair => pair.Key, pair => pair.Value))
            : new ProblemDetails();
        problem.Status = status;
        problem.Title = TitleOf(status);
        problem.Detail = failure.Detail;
        problem.Type = $"https://httpstatuses.io/{status}";
        foreach (var (key, value) in failure.Extensions ?? new Dictionary<string, object?>())
        {
            problem.Extensions[key] = value;
        }
        return failure.RetryAfter is { } retryAfter ? WithRetryAfter(Result(problem), retryAfter) : Result(problem);
    }

    /// <summary><paramref name="problem"/> with a Retry-After header of <paramref name="retryAfter"/>, in whole seconds up.</summary>
    public static IActionResult WithRetryAfter(IActionResult problem, TimeSpan retryAfter) => new RetryAfterResult(problem, retryAfter);

    public static IActionResult Status(int status, string detail)
        => Result(new ProblemDetails { Status = status, Title = TitleOf(status), Detail = detail,
            Type = $"https://httpstatuses.io/{status}" });

    private static ObjectResult Result(ProblemDetails problem)
        => new(problem) { StatusCode = problem.Status, ContentTypes = { ContentType } };

    private static string TitleOf(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "Bad Request",
        StatusCodes.Status401Unauthorized => "Unauthorized",
        StatusCodes.Status403Forbidden => "Forbidden",
        StatusCodes.Status404NotFound => "Not Found",
        StatusCodes.Status409Conflict => "Conflict",
        StatusCodes.Status413PayloadTooLarge => "Payload Too Large",
        StatusCodes.Status415UnsupportedMediaType => "Unsupported Media Type",
        StatusCodes.Status429TooManyRequests => "Too Many Requests",
        StatusCodes.Status500InternalServerError => "Internal Server Error",
        StatusCodes.Status503ServiceUnavailable => "Service Unavailable",
        _ => "Error",
    };

    private sealed class RetryAfterResult(IActionResult problem, TimeSpan retryAfter) : IActionResult
    {
        public Task ExecuteResultAsync(ActionContext context)
        {
            context.HttpContext.Response.Headers.RetryAfter =
                ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return problem.ExecuteResultAsync(context);
        }
    }
}
