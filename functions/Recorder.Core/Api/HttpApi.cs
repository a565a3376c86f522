using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recorder.Core.Security;

namespace Recorder.Core.Api;

/// <summary>
/// The frame of every HTTP function: <see cref="ServeAsync"/> answers a dependency outage with 503; for an
/// authenticated endpoint <see cref="RunAsync"/> also authenticates (401), checks the scope (403), hands the
/// caller and the request's audit facts to the endpoint, and turns its result into a response.
/// </summary>
public sealed class HttpApi(RequestAuthenticator authenticator, IOptions<ClientAddressOptions> clientAddress, ILogger<HttpApi> logger)
{
    public Task<IActionResult> RunAsync(
        HttpRequest request,
        string requiredScope,
        Func<Caller, RequestInfo, Task<IActionResult>> endpoint,
        CancellationToken cancellationToken)
        => ServeAsync(request, async () =>
        {
            switch (await authenticator.AuthenticateAsync(request, cancellationToken))
            {
                case AuthenticationResult.Authenticated { Caller: var caller } when caller.Scopes.Contains(requiredScope):
                    return await endpoint(caller, RequestInfo.From(request, clientAddress.Value.TrustedProxyHops));
                case AuthenticationResult.Authenticated { Caller: var caller }:
                    logger.LogInformation("Caller {UserId} lacks scope {Scope} for {Path}", caller.UserId, requiredScope,
                        request.Path.Value);
                    return Problems.Status(StatusCodes.Status403Forbidden, $"This call needs the scope '{requiredScope}'.");
                default:
                    return Problems.Status(StatusCodes.Status401Unauthorized,
                        "Sign in first: send the app's session cookie or a bearer token.");
            }
        });

    /// <summary>
    /// Runs <paramref name="endpoint"/>; PostgreSQL or storage found unreachable on the way (<see cref="DependencyOutage"/>) is
    /// answered 503 with Retry-After. Any other exception is a fault of ours: logged, and answered 500 with a problem body that
    /// names the request's trace id and nothing of the exception. It is answered here because the isolated worker leaves an
    /// unhandled exception to the Functions host, whose answer is a 500 without a body at best.
    /// </summary>
    public async Task<IActionResult> ServeAsync(HttpRequest request, Func<Task<IActionResult>> endpoint)
    {
        try
        {
            return await endpoint();
        }
        catch (Exception exception) when (DependencyOutage.Of(exception) is { } dependency)
        {
            // The path only: a query string may carry a function key.
            logger.LogWarning(exception, "The {Dependency} could not be reached for {Method} {Path}; answered 503", dependency,
                request.Method, request.Path.Value);
            return DependencyOutage.Answer(dependency);
        }
        // Not a request its client gave up on, nor a response already begun (its status is sent: the host cuts it off).
        catch (Exception exception) when (!request.HttpContext.RequestAborted.IsCancellationRequested && !request.HttpContext.Response.HasStarted)
        {
            var traceId = request.HttpContext.TraceIdentifier;
            logger.LogError(exception, "{Method} {Path} failed (trace {TraceId}); answered 500", request.Method, request.Path.Value, traceId);
            return Problems.Status(StatusCodes.Status500InternalServerError,
                $"The request failed on our side; it is logged under trace id {traceId}.");
        }
    }

    /// <summary>
    /// <see cref="RunAsync"/> for a route naming a row by id (a recording, a session): an id that is not a positive integer is a 400.
    /// </summary>
    public Task<IActionResult> RunWithRouteIdAsync(
        HttpRequest request,
        string id,
        string requiredScope,
        Func<Caller, long, RequestInfo, Task<IActionResult>> endpoint,
        CancellationToken cancellationToken)
        => RunAsync(request, requiredScope, (caller, info) =>
            long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var recordingId) && recordingId > 0
                ? endpoint(caller, recordingId, info)
                : Task.FromResult(Problems.From(Failure.Invalid("id", "must be a positive whole number."))),
            cancellationToken);

    /// <summary>
    /// A request's parsed input served: the input's problem response when it is invalid, else the
    /// service's result as <see cref="Respond{T}"/> turns it into a response.
    /// </summary>
    public static async Task<IActionResult> RespondAsync<TInput, TResult>(
        ServiceResult<TInput> input,
        Func<TInput, Task<ServiceResult<TResult>>> serve,
        Func<TResult, IActionResult> success)
        => input.Failure is { } invalid ? Problems.From(invalid) : Respond(await serve(input.Value!), success);

    /// <summary>The success response, or the failure's problem response.</summary>
    public static IActionResult Respond<T>(ServiceResult<T> result, Func<T, IActionResult> success)
        => result.Failure is { } failure ? Problems.From(failure) : success(result.Value!);
}
