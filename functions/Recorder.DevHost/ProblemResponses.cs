using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.WebUtilities;

namespace Recorder.DevHost;

/// <summary>
/// Answers every dev host error as problem+json, like the app's own, the limits Kestrel would answer with an empty body
/// included: Kestrel's are raised and the API's checked here (docs/api.md, "Errors the hosts answer themselves").
/// </summary>
public static class ProblemResponses
{
    /// <summary>Kestrel's defaults: what the API accepts.</summary>
    public const int MaxRequestLineBytes = 8 * 1024;
    public const int MaxHeaderBytes = 32 * 1024;
    public const int MaxHeaderCount = 100;

    /// <summary>Where Kestrel itself refuses, without a body.</summary>
    public const int KestrelMaxRequestLineBytes = 64 * 1024;
    public const int KestrelMaxHeaderBytes = 256 * 1024;
    public const int KestrelMaxHeaderCount = 1000;

    // Kestrel's default decoding refuses a header value that is not UTF-8, with an empty 400. This one
    // turns each invalid byte into U+FFFD instead, so RequestProblem can refuse it with a problem body.
    private const char Replacement = '\uFFFD';
    private static readonly Encoding HeaderEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    public static void RaiseKestrelLimits(KestrelServerOptions kestrel)
    {
        kestrel.Limits.MaxRequestLineSize = KestrelMaxRequestLineBytes;
        kestrel.Limits.MaxRequestHeadersTotalSize = KestrelMaxHeaderBytes;
        kestrel.Limits.MaxRequestHeaderCount = KestrelMaxHeaderCount;
        kestrel.RequestHeaderEncodingSelector = _ => HeaderEncoding;
    }

    /// <summary>Goes first: checks the API's limits, and gives every empty error response a problem body.</summary>
    public static void UseProblemResponses(this WebApplication app)
    {
        app.UseStatusCodePages(
            context => Problem(context.HttpContext.Response.StatusCode, EmptyErrorDetail(context.HttpContext))
                .ExecuteAsync(context.HttpContext));
        app.Use((context, next) => RequestProblem(context) is { } problem ? problem.ExecuteAsync(context) : next(context));
    }

    /// <summary>A problem response in the app's form (<c>Recorder.Core.Api.Problems</c>): type, title, status, detail.</summary>
    public static IResult Problem(int status, string detail, string? title = null)
        => Results.Problem(detail, statusCode: status, title: title ?? ReasonPhrases.GetReasonPhrase(status),
            type: $"https://httpstatuses.io/{status}");

    private static IResult? RequestProblem(HttpContext context)
    {
        var request = context.Request;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path + request.QueryString;
        // "GET /api/x?y HTTP/1.1\r\n", as Kestrel measures it.
        if (request.Method.Length + target.Length + request.Protocol.Length + 4 > MaxRequestLineBytes)
        {
            return Problem(StatusCodes.Status414UriTooLong, $"The request line is longer than {MaxRequestLineBytes} bytes.");
        }

        var fields = request.Headers.Sum(header => header.Value.Count);
        var bytes = request.Headers.Sum(
            header => header.Value.Sum(value => header.Key.Length + Encoding.UTF8.GetByteCount(value ?? "") + 4)); // "name: value\r\n"
        if (fields > MaxHeaderCount || bytes > MaxHeaderBytes)
        {
            return Problem(StatusCodes.Status431RequestHeaderFieldsTooLarge,
                $"The request has more than {MaxHeaderCount} header fields or more than {MaxHeaderBytes} bytes of them.");
        }

        return request.Headers.FirstOrDefault(
            header => header.Value.Any(value => value?.Contains(Replacement) == true)) is { Key: { } invalid }
            ? Problem(StatusCodes.Status400BadRequest, $"The value of header '{invalid}' is not valid UTF-8.")
            : null;
    }

    private static string EmptyErrorDetail(HttpContext context) => context.Response.StatusCode switch
    {
        StatusCodes.Status404NotFound => "There is nothing at this path.",
        StatusCodes.Status405MethodNotAllowed => $"This resource does not accept {context.Request.Method}; it accepts " +
            $"{context.Response.Headers.Allow}.",
        var status => ReasonPhrases.GetReasonPhrase(status),
    };
}
