using System.Reflection;

namespace Recorder.DevHost;

/// <summary>Calls a function as the worker does: a new instance per invocation, built from the given DI scope.</summary>
public static class FunctionInvoker
{
    /// <returns>The function's result, awaited; null for void and <see cref="Task"/>.</returns>
    public static async Task<object?> InvokeAsync(FunctionEntry function, IServiceProvider services, object?[] arguments)
    {
        var method = function.Method;
        var instance = method.IsStatic ? null : ActivatorUtilities.CreateInstance(services, method.DeclaringType!);
        try
        {
            // DoNotWrapExceptions: callers see the function's own exception, not a TargetInvocationException.
            var returned = method.Invoke(instance, BindingFlags.DoNotWrapExceptions, binder: null, arguments, culture: null);
            if (returned is not Task task)
            {
                return returned;
            }
            await task;
            // The catalog only admits Task and Task<T>; the runtime type of a
            // plain Task may still have a Result, so go by the declared type.
            return method.ReturnType == typeof(Task) ? null : task.GetType().GetProperty(nameof(Task<object>.Result))!.GetValue(task);
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
}
