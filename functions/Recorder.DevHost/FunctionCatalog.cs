using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;

namespace Recorder.DevHost;

/// <summary>
/// The <c>[Function]</c> methods found on the given types, checked against what the dev host can run
/// (<see cref="HttpFunctionEndpoints"/>, <see cref="TimerFunctionRunner"/> and <see cref="QueueFunctionRunner"/> state
/// the conventions). Every problem is collected and reported at once, so a start-up failure lists all functions to fix.
/// </summary>
public sealed partial class FunctionCatalog
{
    /// <summary>The queue trigger's connection when the attribute names none, as in the host.</summary>
    public const string DefaultQueueConnection = "AzureWebJobsStorage";

    private FunctionCatalog(IReadOnlyList<FunctionEntry> functions) => Functions = functions;

    public IReadOnlyList<FunctionEntry> Functions { get; }

    public IEnumerable<HttpFunction> Http => Functions.OfType<HttpFunction>();

    public IEnumerable<TimerFunction> Timers => Functions.OfType<TimerFunction>();

    public IEnumerable<QueueFunction> Queues => Functions.OfType<QueueFunction>();

    /// <param name="routePrefix">host.json's <c>extensions.http.routePrefix</c>; empty for none.</param>
    /// <exception cref="DevHostStartupException">A function cannot be run; the message names each one and why.</exception>
    public static FunctionCatalog Create(IEnumerable<Type> types, IConfiguration configuration, string routePrefix)
    {
        var functions = new List<FunctionEntry>();
        var problems = new List<string>();
        var methods = types.SelectMany(
            type => type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly));
        foreach (var method in methods)
        {
            if (method.GetCustomAttribute<FunctionAttribute>() is not { } function)
            {
                continue;
            }
            try
            {
                functions.Add(Describe(function.Name, method, configuration, routePrefix));
            }
            catch (DevHostStartupException exception)
            {
                problems.Add($"{function.Name} ({method.DeclaringType?.FullName}.{method.Name}): {exception.Message}");
            }
        }
        problems.AddRange(functions.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase)
            .Where(group => group.Count() > 1)
            .Select(group => $"{group.Key}: the name is used by more than one method."));

        if (problems.Count > 0)
        {
            throw new DevHostStartupException(
                "The dev host cannot run these functions:" + string.Concat(problems.Select(p => Environment.NewLine + "  - " + p)));
        }
        return new FunctionCatalog([.. functions.OrderBy(f => f.Name, StringComparer.Ordinal)]);
    }

    /// <summary>One line per function, for the start-up log.</summary>
    public string ToTable()
    {
        string[] header = ["Function", "Trigger", "Methods", "Auth", "Route / schedule / queue"];
        var rows = Functions.Select(function => function switch
        {
            HttpFunction http => new[]
            {
                http.Name, "http", http.HttpMethods.Count == 0 ? "*" : string.Join(',', http.HttpMethods), http.AuthLevel.ToString(),
                http.Route,
            },
            TimerFunction timer => new[]
            {
                timer.Name, "timer", "", "",
                (timer.Schedule.Expression == timer.Schedule.Resolved ? timer.Schedule.Resolved
                    : $"{timer.Schedule.Expression} = {timer.Schedule.Resolved}")
                    + (timer.RunOnStartup ? " (run on startup)" : ""),
            },
            QueueFunction queue => new[]
            {
                queue.Name, "queue", "", "",
                (queue.QueueNameExpression == queue.QueueName ? queue.QueueName : $"{queue.QueueNameExpression} = {queue.QueueName}") +
                $" ({queue.Connection})",
            },
            _ => throw new InvalidOperationException($"Unknown function kind {function.Kind}."),
        }).Prepend(header).ToList();

        var widths = Enumerable.Range(0, header.Length).Select(column => rows.Max(row => row[column].Length)).ToArray();
        var table = new StringBuilder();
        foreach (var row in rows)
        {
            table.AppendLine(string.Join("  ", row.Select((cell, column) => cell.PadRight(widths[column]))).TrimEnd());
        }
        return table.ToString().TrimEnd();
    }

    private static FunctionEntry Describe(string name, MethodInfo method, IConfiguration configuration, string routePrefix)
    {
        var triggers = method.GetParameters()
            .Select(parameter => (parameter, trigger: parameter.GetCustomAttribute<TriggerBindingAttribute>()))
            .Where(candidate => candidate.trigger is not null)
            .ToList();
        if (triggers.Count != 1)
        {
            throw new DevHostStartupException($"expected one trigger parameter, found {triggers.Count}.");
        }
        var (triggerParameter, triggerAttribute) = triggers[0];
        return triggerAttribute switch
        {
            HttpTriggerAttribute http => DescribeHttp(name, method, triggerParameter, http, routePrefix),
            TimerTriggerAttribute timer => DescribeTimer(name, method, triggerParameter, timer, configuration),
            QueueTriggerAttribute queue => DescribeQueue(name, method, triggerParameter, queue, configuration),
            _ => throw new DevHostStartupException(
                $"{triggerAttribute!.GetType().Name} is not run by the dev host (HttpTrigger, TimerTrigger and QueueTrigger only)."),
        };
    }

    private static HttpFunction DescribeHttp(
        string name, MethodInfo method, ParameterInfo trigger, HttpTriggerAttribute attribute, string routePrefix)
    {
        if (attribute.AuthLevel == AuthorizationLevel.User)
        {
            throw new DevHostStartupException("AuthorizationLevel.User is not supported; use Anonymous, Function or Admin.");
        }
        var returnType = method.ReturnType;
        var resultType = returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>)
            ? returnType.GetGenericArguments()[0] : returnType;
        if (returnType != typeof(Task) && !typeof(IActionResult).IsAssignableFrom(resultType)
            && !typeof(IResult).IsAssignableFrom(resultType))
        {
            throw new DevHostStartupException(
                $"returns {Display(returnType)}; the dev host runs HTTP functions returning IActionResult, IResult, Task, " +
                $"Task<IActionResult> or Task<IResult>.");
        }

        var template = (attribute.Route ?? name).Trim('/');
        var route = string.IsNullOrEmpty(routePrefix) ? template : $"{routePrefix}/{template}";
        RoutePattern pattern;
        try
        {
            pattern = RoutePatternFactory.Parse(route);
        }
        catch (RoutePatternException exception)
        {
            throw new DevHostStartupException($"route '{route}' is not a valid route template: {exception.Message}");
        }

        var parameters = method.GetParameters().Select(parameter => parameter == trigger
            ? RequireTrigger(parameter, typeof(HttpRequest), ParameterSource.HttpRequest)
            : parameter.ParameterType == typeof(CancellationToken)
                ? new ParameterBinding(parameter.Name!, parameter.ParameterType, ParameterSource.CancellationToken)
                : BindRouteValue(parameter, pattern)).ToList();
        var methods = (attribute.Methods ?? []).Select(m => m.ToUpperInvariant()).Distinct().ToList();
        return new HttpFunction(name, method, parameters, route, methods, attribute.AuthLevel);
    }

    private static ParameterBinding BindRouteValue(ParameterInfo parameter, RoutePattern pattern)
    {
        if (!RouteValueConverter.Supports(parameter.ParameterType))
        {
            throw new DevHostStartupException(
                $"parameter '{parameter.Name}' ({Display(parameter.ParameterType)}) cannot be bound: the dev host passes HttpRequest, " +
                "CancellationToken and route values (string, int, long, Guid, bool); take services through the constructor.");
        }
        var routeParameter = pattern.GetParameter(parameter.Name!)
            ?? throw new DevHostStartupException($"parameter '{parameter.Name}' matches no route value in '{pattern.RawText}'.");
        if (routeParameter.IsOptional && routeParameter.Default is null && !RouteValueConverter.AcceptsNull(parameter.ParameterType))
        {
            throw new DevHostStartupException(
                $"parameter '{parameter.Name}' ({Display(parameter.ParameterType)}) takes an optional route value, " +
                $"so it must be nullable.");
        }
        return new ParameterBinding(parameter.Name!, parameter.ParameterType, ParameterSource.RouteValue);
    }

    private static TimerFunction DescribeTimer(
        string name, MethodInfo method, ParameterInfo trigger, TimerTriggerAttribute attribute, IConfiguration configuration)
    {
        if (method.ReturnType != typeof(Task) && method.ReturnType != typeof(void))
        {
            throw new DevHostStartupException(
                $"returns {Display(method.ReturnType)}; the dev host runs timer functions returning void or Task.");
        }
        var parameters = method.GetParameters().Select(parameter => parameter == trigger
            ? RequireTrigger(parameter, typeof(TimerInfo), ParameterSource.TimerInfo)
            : parameter.ParameterType == typeof(CancellationToken)
                ? new ParameterBinding(parameter.Name!, parameter.ParameterType, ParameterSource.CancellationToken)
                : throw new DevHostStartupException(
                    $"parameter '{parameter.Name}' ({Display(parameter.ParameterType)}) cannot be bound: " +
                    "the dev host passes timer functions " +
                    "TimerInfo and CancellationToken only; take services through the constructor.")).ToList();
        return new TimerFunction(name, method, parameters, TimerSchedule.Parse(attribute.Schedule, configuration), attribute.RunOnStartup);
    }

    private static QueueFunction DescribeQueue(
        string name, MethodInfo method, ParameterInfo trigger, QueueTriggerAttribute attribute, IConfiguration configuration)
    {
        if (method.ReturnType != typeof(Task) && method.ReturnType != typeof(void))
        {
            throw new DevHostStartupException(
                $"returns {Display(method.ReturnType)}; the dev host runs queue functions returning void or Task (no output bindings).");
        }
        // The host lower-cases the resolved name before checking it (queue names are lower case).
        var queueName = SettingPlaceholders.Resolve(attribute.QueueName, configuration, "queue name").Trim().ToLowerInvariant();
        if (!QueueNameRule().IsMatch(queueName))
        {
            throw new DevHostStartupException(
                $"queue name '{queueName}' is not valid: 3 to 63 letters, digits and single hyphens, " +
                $"starting and ending with a letter or digit.");
        }
        var connection = string.IsNullOrEmpty(attribute.Connection) ? DefaultQueueConnection : attribute.Connection;
        var connectionKey = connection.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
        if (string.IsNullOrWhiteSpace(configuration[connectionKey])
            && string.IsNullOrWhiteSpace(configuration[$"{connectionKey}:queueServiceUri"]))
        {
            throw new DevHostStartupException(
                $"connection '{connection}' is not set: set '{connection}' to a storage connection string, " +
                $"or '{connection}__queueServiceUri' (with '{connection}__credential' = managedidentity and '{connection}__clientId').");
        }

        var parameters = method.GetParameters().Select(parameter => parameter == trigger
            ? BindQueueMessage(parameter)
            : parameter.ParameterType == typeof(CancellationToken)
                ? new ParameterBinding(parameter.Name!, parameter.ParameterType, ParameterSource.CancellationToken)
                : throw new DevHostStartupException(
                    $"parameter '{parameter.Name}' ({Display(parameter.ParameterType)}) cannot be bound: " +
                    "the dev host passes queue functions " +
                    "the message and CancellationToken only; take services through the constructor.")).ToList();
        return new QueueFunction(name, method, parameters, attribute.QueueName, queueName, connection);
    }

    /// <summary>
    /// The message as text or bytes, or a type of the app's own deserialized from its JSON (not a framework type like int or List).
    /// </summary>
    private static ParameterBinding BindQueueMessage(ParameterInfo parameter)
    {
        var type = parameter.ParameterType;
        var isBody = type == typeof(string) || type == typeof(BinaryData) || type == typeof(byte[]);
        var isJson = !type.IsAbstract && !type.IsInterface && !type.ContainsGenericParameters && !type.IsByRef
            && Nullable.GetUnderlyingType(type) is null && type.Assembly != typeof(object).Assembly;
        return isBody || isJson
            ? new ParameterBinding(parameter.Name!, type, ParameterSource.QueueMessage)
            : throw new DevHostStartupException(
                $"trigger parameter '{parameter.Name}' is {Display(type)}; " +
                "the dev host passes the queue message as string, BinaryData, byte[] " +
                "or a class or record deserialized from its JSON.");
    }

    private static ParameterBinding RequireTrigger(ParameterInfo parameter, Type type, ParameterSource source)
        => parameter.ParameterType == type
            ? new ParameterBinding(parameter.Name!, type, source)
            : throw new DevHostStartupException(
                $"trigger parameter '{parameter.Name}' is {Display(parameter.ParameterType)}; the dev host passes {type.Name} there.");

    /// <summary>A type name for messages: <c>long?</c>, <c>Task&lt;String&gt;</c> rather than <c>Nullable`1</c>.</summary>
    private static string Display(Type type)
        => Nullable.GetUnderlyingType(type) is { } underlying ? Display(underlying) + "?"
            : type.IsGenericType ? $"{type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)]}" +
                $"<{string.Join(", ", type.GetGenericArguments().Select(Display))}>"
            : type.Name;

    [GeneratedRegex("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex QueueNameRule();
}
