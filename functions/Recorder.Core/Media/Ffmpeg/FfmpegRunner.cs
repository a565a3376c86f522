using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Recorder.Core.Media.Ffmpeg;

/// <summary>
/// Runs ffprobe or ffmpeg: arguments as a list (never a shell), standard output kept in memory up
/// to the command's cap, standard error up to <see cref="MaxErrorChars"/>. A timeout, a cancellation
/// or too much output kills the process tree, so no decoder outlives the call that started it.
/// Arguments are never logged: they hold SAS URLs.
/// </summary>
public sealed class FfmpegRunner(ILogger<FfmpegRunner> logger)
{
    public const int MaxErrorChars = 16 * 1024;

    public async Task<FfmpegResult> RunAsync(FfmpegCommand command, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var startInfo = new ProcessStartInfo(command.Executable)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in command.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = startInfo };
        var stopwatch = Stopwatch.StartNew();
        try
        {
            process.Start();
        }
        catch (Win32Exception exception)
        {
            throw new FfmpegNotFoundException(command, exception);
        }
        // Nothing is ever sent: an open stdin would let ffmpeg wait for interactive keys.
        process.StandardInput.Close();

        using var timeout = new CancellationTokenSource(command.Timeout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var output = ReadOutputAsync(process, command, stop.Token);
        var error = ReadErrorAsync(process.StandardError, stop.Token);
        try
        {
            await process.WaitForExitAsync(stop.Token);
            await Task.WhenAll(output, error); // throws FfmpegOutputLimitException when the output ran over
            var result = new FfmpegResult(process.ExitCode, await output, UrlRedaction.StripQueries(await error));
            logger.LogDebug("{Executable} exited with {ExitCode} after {ElapsedMs} ms", command.Name, result.ExitCode,
                stopwatch.ElapsedMilliseconds);
            return result;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None);
            // The readers end with the process; what they return or throw no longer matters.
            await Task.WhenAll(output, error).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            cancellationToken.ThrowIfCancellationRequested();
            logger.LogWarning("{Executable} was stopped after its timeout of {Timeout}", command.Name, command.Timeout);
            throw new FfmpegTimeoutException(command);
        }
    }

    private static async Task<byte[]> ReadOutputAsync(Process process, FfmpegCommand command, CancellationToken cancellationToken)
    {
        using var output = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await process.StandardOutput.BaseStream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (output.Length + read > command.MaxOutputBytes)
            {
                Kill(process);
                throw new FfmpegOutputLimitException(command);
            }
            output.Write(buffer, 0, read);
        }
        return output.ToArray();
    }

    private static async Task<string> ReadErrorAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var buffer = new char[4096];
        var truncated = false;
        int read;
        // Read to the end even past the cap: a child blocked on a full stderr pipe would never exit.
        while ((read = await reader.ReadAsync(buffer, cancellationToken)) > 0)
        {
            var room = MaxErrorChars - text.Length;
            truncated |= read > room;
            text.Append(buffer, 0, Math.Min(read, room));
        }
        return truncated ? text.Append(" [truncated]").ToString() : text.ToString();
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) when (process.HasExited)
        {
            // It exited on its own between the decision and the kill.
        }
    }
}
