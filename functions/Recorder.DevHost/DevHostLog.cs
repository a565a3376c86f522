
namespace Recorder.DevHost;

/// <summary>The dev host's log messages (source-generated, message templates only).</summary>
public static partial class DevHostLog
{
    [LoggerMessage(1, LogLevel.Information, "Dev host functions ({FunctionCount}):\n{FunctionTable}")]
    public static partial void FunctionsDiscovered(ILogger logger, int functionCount, string functionTable);

    [LoggerMessage(2, LogLevel.Error, "Function {FunctionName} failed")]
    public static partial void FunctionFailed(ILogger logger, Exception exception, string functionName);

    [LoggerMessage(3, LogLevel.Information, "Function {FunctionName}: the client went away before it finished")]
    public static partial void RequestAborted(ILogger logger, string functionName);

    [LoggerMessage(4, LogLevel.Information, "Timer {FunctionName} scheduled ({Schedule}); next run at {NextRun:u}")]
    public static partial void TimerScheduled(ILogger logger, string functionName, string schedule, DateTime nextRun);

    [LoggerMessage(5, LogLevel.Warning, "Timer {FunctionName}: skipped the run due at {DueTime:u} because the previous run is still going")]
    public static partial void TimerRunSkipped(ILogger logger, string functionName, DateTime dueTime);

    [LoggerMessage(6, LogLevel.Information, "Timer {FunctionName} ran in {ElapsedMs} ms (past due: {IsPastDue})")]
    public static partial void TimerRunCompleted(ILogger logger, string functionName, long elapsedMs, bool isPastDue);

    [LoggerMessage(7, LogLevel.Information, "Timer {FunctionName}: run cancelled by shutdown")]
    public static partial void TimerRunCancelled(ILogger logger, string functionName);
}
