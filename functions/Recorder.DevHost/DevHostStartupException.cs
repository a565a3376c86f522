namespace Recorder.DevHost;

/// <summary>
/// A function or setting the dev host cannot run with. Thrown while building the app, so a mistake stops
/// the start rather than surfacing on the first request or timer tick; Program prints it without a stack trace.
/// </summary>
public sealed class DevHostStartupException(string message) : Exception(message);
