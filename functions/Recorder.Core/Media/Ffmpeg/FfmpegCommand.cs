namespace Recorder.Core.Media.Ffmpeg;

/// <summary>One run of ffprobe or ffmpeg.</summary>
/// <param name="Executable">A path, or a name looked up on PATH.</param>
/// <param name="Setting">The setting that names <paramref name="Executable"/>, quoted when it cannot be started.</param>
/// <param name="Arguments">Passed as a list, never through a shell.</param>
/// <param name="Timeout">After this the process tree is killed.</param>
/// <param name="MaxOutputBytes">Standard output beyond this stops the run.</param>
public sealed record FfmpegCommand(string Executable, string Setting, IReadOnlyList<string> Arguments, TimeSpan Timeout, int MaxOutputBytes)
{
    /// <summary>The executable's file name, for messages and logs.</summary>
    public string Name => Path.GetFileName(Executable);
}

/// <summary>How a run ended: its exit code, standard output, and standard error (bounded, URL queries removed).</summary>
public sealed record FfmpegResult(int ExitCode, byte[] Output, string Error);
