using System.Collections.Concurrent;
using System.Reflection;

namespace Recorder.DevHost;

/// <summary>Calls a function as the worker does: a new instance per invocation, built from the given DI scope.</summary>
public static class FunctionInvoker
{
    // Built once per function: reflection on every call (MethodInfo.Invoke, Task<T>.Result through GetProperty) emitted and
    // compiled its invoke stubs again whenever the runtime's reflection cache had been collected (216 stubs for Task<T>.Result
    // in the bench host's perf map after 5 minutes; bench/notes/mixed-load.md).
    private static readonly ConcurrentDictionary<MethodInfo, CompiledFunction> Compiled = new();

    /// <returns>The function's result, awaited; null for void and <see cref="Task"/>.</returns>
    public static async Task<object?> InvokeAsync(FunctionEntry function, IServiceProvider services, object?[] arguments)
    {
        var compiled = Compiled.GetOrAdd(function.Method, method => new CompiledFunction(method));
        var instance = compiled.Create?.Invoke(services, null);
        try
        {
            // MethodInvoker does not wrap: callers see the function's own exception, not a TargetInvocationException.
            var returned = compiled.Call.Invoke(instance, arguments.AsSpan());
            if (returned is not Task task)
            {
                return returned;
            }
            await task;
            return compiled.Result?.Invoke(task);
        }
        finally
        {
            // The instance is ours, not the container's, so the container will not dispose it.
            if (instance is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync();
            }
            else if (instance is IDisposable disposable)
            {
                disposable.Dispose();
            }
        }
    }

    private static object? ResultOf<T>(Task task) => ((Task<T>)task).Result;

    private sealed class CompiledFunction(MethodInfo method)
    {
        public ObjectFactory? Create { get; } = method.IsStatic ? null : ActivatorUtilities.CreateFactory(method.DeclaringType!, Type.EmptyTypes);

        public MethodInvoker Call { get; } = MethodInvoker.Create(method);

        // The catalog only admits Task and Task<T>; the runtime type of a plain Task may still have a Result, so go by the
        // declared type.
        public Func<Task, object?>? Result { get; } = method.ReturnType.IsGenericType
            && method.ReturnType.GetGenericTypeDefinition() == typeof(Task<>)
                ? typeof(FunctionInvoker).GetMethod(nameof(ResultOf), BindingFlags.NonPublic | BindingFlags.Static)!
                    .MakeGenericMethod(method.ReturnType.GetGenericArguments()[0]).CreateDelegate<Func<Task, object?>>()
                : null;
    }
}
