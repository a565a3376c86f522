using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Recorder.Core.Security;

namespace Recorder.Core.Api;

/// <summary>
/// The frame of every authenticated endpoint: authenticate (401), check the scope (403), hand the
/// caller and the request's audit facts to the endpoint, and turn its result into a response.
/// </summary>
public sealed class HttpApi(RequestAuthenticator authenticator, ILogger<HttpApi> logger)
{
    public async Task<IActionResult> RunAsync(
        HttpRequest request,
        string requiredScope,
        Func<Caller, RequestInfo, Task<IActionResult>> endpoint,
        CancellationToken cancellationToken)
    {
        switch (await authenticator.AuthenticateAsync(request, cancellationToken))
        {
            case AuthenticationResult.Authenticated { Caller: var caller } when caller.Scopes.Contains(requiredScope):
                return await endpoint(caller, RequestInfo.From(request));
            case AuthenticationResult.Authenticated { Caller: var caller }:
                logger.LogInformation("Caller {UserId} lacks scope {Scope} for {Path}", caller.UserId, requiredScope, request.Path.Value);
                return Problems.Status(StatusCodes.Status403Forbidden, $"This call needs the scope '{requiredScope}'.");
            default:
                return Problems.Status(StatusCodes.Status401Unauthorized, "Sign in first: send the app's session cookie or a bearer token.");
        }
    }

    /// <summary>A route id: a positive 64-bit integer, else a 400 naming the route value.</summary>
    public static ServiceResult<long> ParseId(string? value, string name = "id")
        => long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) && id > 0
            ? id
            : Failure.Invalid(name, "must be a positive whole number.");

    /// <summary>The success response, or the failure's problem response.</summary>
    public static IActionResult Respond<T>(ServiceResult<T> result, Func<T, IActionResult> success)
        => result.Failure is { } failure ? Problems.From(failure) : success(result.Value!);
}
