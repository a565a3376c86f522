namespace Recorder.Core.Media.Ffmpeg;

/// <summary>The executable could not be started: a deployment or configuration fault, not a media one.</summary>
public sealed class FfmpegNotFoundException(FfmpegCommand command, Exception innerException)
    : InvalidOperationException(
        $"'{command.Executable}' could not be started ({innerException.Message}). " +
        $"Install ffmpeg, or set {command.Setting} to the full path of {command.Name}.",
        innerException);

/// <summary>The run outlasted its timeout and was killed.</summary>
public sealed class FfmpegTimeoutException(FfmpegCommand command)
    : TimeoutException($"{command.Name} did not finish within {command.Timeout} and was stopped.");

/// <summary>The run wrote more than its output cap and was killed.</summary>
public sealed class FfmpegOutputLimitException(FfmpegCommand command)
    : Exception($"{command.Name} wrote more than {command.MaxOutputBytes} bytes and was stopped.");
