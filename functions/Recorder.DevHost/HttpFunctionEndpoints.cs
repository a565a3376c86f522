using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;

namespace Recorder.DevHost;

/// <summary>
/// Maps each <c>[HttpTrigger]</c> function onto Kestrel at <c>{routePrefix}/{Route ?? name}</c> and invokes it as the
/// Functions host would; what functions may rely on (parameters, results, errors): docs/architecture.md, "The dev host".
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
                $"This function needs a key, in the '{FunctionKeyCheck.KeyHeader}' header or the " +
                $"'{FunctionKeyCheck.KeyQueryParameter}' query parameter.").ExecuteAsync(context);
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
                    var text = context.Request.RouteValues[parameter.Name] is { } value
                        ? Convert.ToString(value, CultureInfo.InvariantCulture) : null;
                    if (!RouteValueConverter.TryConvert(text, parameter.Type, out arguments[i]))
                    {
                        await ProblemResponses.Problem(StatusCodes.Status400BadRequest,
                            $"Route value '{parameter.Name}' must be a " +
                            $"{(Nullable.GetUnderlyingType(parameter.Type) ?? parameter.Type).Name}.",
                            "Invalid route value").ExecuteAsync(context);
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
            await ProblemResponses.Problem(StatusCodes.Status500InternalServerError,
                "The function failed; the dev host's log has the details.").ExecuteAsync(context);
        }
    }
}
