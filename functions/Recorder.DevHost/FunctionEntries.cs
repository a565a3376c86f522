using System.Reflection;
using Microsoft.Azure.Functions.Worker;

namespace Recorder.DevHost;

public enum TriggerKind
{
    Http,
    Timer,
    Queue,
}

/// <summary>
/// Where a function parameter's value comes from (the conventions are on the runners, see <see cref="FunctionCatalog"/>).
/// </summary>
public enum ParameterSource
{
    HttpRequest,
    TimerInfo,
    CancellationToken,
    RouteValue,

    /// <summary>The queue message's body: string, BinaryData, byte[], or a type deserialized from its JSON.</summary>
    QueueMessage,
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

/// <param name="QueueNameExpression">As written in the attribute, e.g. <c>%IngestQueueName%-poison</c>.</param>
/// <param name="QueueName">After settings were substituted, lower-cased as the host does: <c>recording-ingest-poison</c>.</param>
/// <param name="Connection">The connection setting's name (<c>AzureWebJobsStorage</c> when the attribute names none).</param>
public sealed record QueueFunction(
    string Name,
    MethodInfo Method,
    IReadOnlyList<ParameterBinding> Parameters,
    string QueueNameExpression,
    string QueueName,
    string Connection) : FunctionEntry(Name, Method, Parameters)
{
    public const string PoisonSuffix = "-poison";

    public override TriggerKind Kind => TriggerKind.Queue;

    /// <summary>Where failing messages go; none for a poison queue itself, as in the host.</summary>
    public string? PoisonQueueName => QueueName.EndsWith(PoisonSuffix, StringComparison.Ordinal) ? null : QueueName + PoisonSuffix;
}
