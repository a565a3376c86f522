using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;

namespace Recorder.DevHost;

/// <summary>
/// Maps each <c>[HttpTrigger]</c> function onto Kestrel at <c>{routePrefix}/{Route ?? name}</c>.
/// The invocation convention, which functions can rely on:
/// <list type="bullet">
/// <item>The function class is created per request in the request's DI scope
/// (<c>ActivatorUtilities.CreateInstance</c>): constructor injection of services and <c>ILogger&lt;T&gt;</c>;
/// disposed after the call if it is disposable. Static function methods get no instance.</item>
/// <item>Parameters: the <c>[HttpTrigger]</c> one is an <see cref="HttpRequest"/> (<c>HttpContext.Request</c>);
/// a <see cref="CancellationToken"/> is <c>HttpContext.RequestAborted</c>; a string, int, long, Guid or bool
/// (or nullable) is the route value of the same name, parsed with the invariant culture, and an unparsable
/// value answers 400 problem+json. Any other parameter stops the dev host at start-up, naming the function.</item>
/// <item>Returns <see cref="IActionResult"/>, <see cref="IResult"/>, <see cref="Task"/>, or a Task of either result.
/// An IActionResult runs through MVC's executors (JSON in camelCase, as in the Functions ASP.NET Core
/// integration); with a plain Task the function writes the response itself.</item>
/// <item>Keys as <see cref="FunctionKeyCheck"/> checks them: a missing or wrong key answers 401 problem+json.</item>
/// <item>An exception answers 500 problem+json without its message, and is logged.</item>
/// </list>
/// </summary>
public static class HttpFunctionEndpoints
{
    public static void MapHttpFunctions(this IEndpointRouteBuilder endpoints, FunctionCatalog catalog, FunctionKeyCheck keys)
    {
        var logger = endpoints.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(HttpFunctionEndpoints));
        foreach (var function in catalog.Http)
        {
            RequestDelegate handler = context => HandleAsync(function, keys, logger, context);
            var endpoint = function.HttpMethods.Count == 0
                ? endpoints.Map(function.Route, handler)
                : endpoints.MapMethods(function.Route, function.HttpMethods, handler);
            endpoint.WithDisplayName(function.Name);
        }
    }

    private static async Task HandleAsync(HttpFunction function, FunctionKeyCheck keys, ILogger logger, HttpContext context)
    {
        if (!keys.IsAuthorized(context.Request, function.AuthLevel))
        {
            await ProblemResponses.Problem(StatusCodes.Status401Unauthorized,
                $"This function needs a key, in the '{FunctionKeyCheck.KeyHeader}' header or the '{FunctionKeyCheck.KeyQueryParameter}' query parameter.").ExecuteAsync(context);
            return;
        }

        var arguments = new object?[function.Parameters.Count];
        for (var i = 0; i < arguments.Length; i++)
        {
            var parameter = function.Parameters[i];
            switch (parameter.Source)
            {
                case ParameterSource.HttpRequest:
                    arguments[i] = context.Request;
                    break;
                case ParameterSource.CancellationToken:
                    arguments[i] = context.RequestAborted;
                    break;
                case ParameterSource.RouteValue:
                    // An optional route value that is absent stays null (Convert.ToString would make it "").
                    var text = context.Request.RouteValues[parameter.Name] is { } value ? Convert.ToString(value, CultureInfo.InvariantCulture) : null;
                    if (!RouteValueConverter.TryConvert(text, parameter.Type, out arguments[i]))
                    {
                        await ProblemResponses.Problem(StatusCodes.Status400BadRequest,
                            $"Route value '{parameter.Name}' must be a {(Nullable.GetUnderlyingType(parameter.Type) ?? parameter.Type).Name}.", "Invalid route value").ExecuteAsync(context);
                        return;
                    }
                    break;
                default:
                    throw new UnreachableException($"The catalog gave HTTP function {function.Name} a {parameter.Source} parameter.");
            }
        }

        try
        {
            switch (await FunctionInvoker.InvokeAsync(function, context.RequestServices, arguments))
            {
                case IActionResult actionResult:
                    await actionResult.ExecuteResultAsync(new ActionContext(context, context.GetRouteData(), new ActionDescriptor()));
                    break;
                case IResult result:
                    await result.ExecuteAsync(context);
                    break;
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            DevHostLog.RequestAborted(logger, function.Name);
        }
        catch (Exception exception)
        {
            DevHostLog.FunctionFailed(logger, exception, function.Name);
            if (context.Response.HasStarted)
            {
                // Too late for a status code: cut the connection so the client does not take a truncated body for a success.
                context.Abort();
                return;
            }
            context.Response.Clear();
            await ProblemResponses.Problem(StatusCodes.Status500InternalServerError, "The function failed; the dev host's log has the details.").ExecuteAsync(context);
        }
    }
}
