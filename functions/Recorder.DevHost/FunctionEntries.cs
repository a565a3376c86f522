using System.Reflection;
using Microsoft.Azure.Functions.Worker;

namespace Recorder.DevHost;

public enum TriggerKind
{
    Http,
    Timer,
}

/// <summary>Where a function parameter's value comes from (the convention is on <see cref="HttpFunctionEndpoints"/>).</summary>
public enum ParameterSource
{
    HttpRequest,
    TimerInfo,
    CancellationToken,
    RouteValue,
}

public sealed record ParameterBinding(string Name, Type Type, ParameterSource Source);

/// <summary>A <c>[Function]</c> method the dev host can run, with each parameter's source decided at start-up.</summary>
public abstract record FunctionEntry(string Name, MethodInfo Method, IReadOnlyList<ParameterBinding> Parameters)
{
    public abstract TriggerKind Kind { get; }
}

/// <param name="Route">The full route template, prefix included: <c>api/recordings/{id:long}</c>.</param>
/// <param name="HttpMethods">Upper case; empty means every method.</param>
public sealed record HttpFunction(
    string Name,
    MethodInfo Method,
    IReadOnlyList<ParameterBinding> Parameters,
    string Route,
    IReadOnlyList<string> HttpMethods,
    AuthorizationLevel AuthLevel) : FunctionEntry(Name, Method, Parameters)
{
    public override TriggerKind Kind => TriggerKind.Http;
}

public sealed record TimerFunction(
    string Name,
    MethodInfo Method,
    IReadOnlyList<ParameterBinding> Parameters,
    TimerSchedule Schedule,
    bool RunOnStartup) : FunctionEntry(Name, Method, Parameters)
{
    public override TriggerKind Kind => TriggerKind.Timer;
}
