using System.Diagnostics;
using Recorder.Core.Media.Ffmpeg;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Media.Ffmpeg;

public sealed class FfmpegRunnerTests
{
    private readonly FfmpegRunner runner = MediaSamples.Runner();

    [Fact]
    public async Task Captures_output_and_exit_code()
    {
        var result = await runner.RunAsync(Command("ffprobe", ["-version"]), CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("ffprobe version", System.Text.Encoding.UTF8.GetString(result.Output));
    }

    [Fact]
    public async Task Captures_standard_error_of_a_failed_run()
    {
        var result = await runner.RunAsync(Command("ffprobe", ["-v", "error", "/nonexistent/recording.webm"]), CancellationToken.None);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("No such file or directory", result.Error);
    }

    [Fact]
    public async Task Bounds_standard_error_and_reads_it_to_the_end()
    {
        // showinfo logs a long line per frame: far more than the cap, which must not block the child.
        var result = await runner.RunAsync(
            Command("ffmpeg", ["-nostdin", "-f", "lavfi", "-i", "testsrc=size=16x16:rate=100:duration=3", "-vf", "showinfo", "-f", "null", "-"]),
            CancellationToken.None);

        Assert.Equal(0, result.ExitCode);
        Assert.InRange(result.Error.Length, FfmpegRunner.MaxErrorChars, FfmpegRunner.MaxErrorChars + 20);
        Assert.EndsWith("[truncated]", result.Error);
    }

    [Fact]
    public async Task A_timeout_kills_the_process()
    {
        var marker = Marker();
        var stopwatch = Stopwatch.StartNew();

        var run = runner.RunAsync(Command("ffmpeg", EndlessEncode(marker, "null", "-"), timeout: TimeSpan.FromSeconds(3)), CancellationToken.None);
        await UntilRunningAsync(marker);

        var exception = await Assert.ThrowsAsync<FfmpegTimeoutException>(() => run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(30));
        Assert.Contains("ffmpeg", exception.Message);
        Assert.False(IsRunning(marker));
    }

    [Fact]
    public async Task Cancellation_kills_the_process()
    {
        var marker = Marker();
        using var cancellation = new CancellationTokenSource();
        var run = runner.RunAsync(Command("ffmpeg", EndlessEncode(marker, "null", "-")), cancellation.Token);

        // Cancelled once ffmpeg runs: a run cancelled before its process started would prove no kill.
        await UntilRunningAsync(marker);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(IsRunning(marker));
    }

    [Fact]
    public async Task Output_past_the_cap_stops_the_run()
    {
        var marker = Marker();

        await Assert.ThrowsAsync<FfmpegOutputLimitException>(
            () => runner.RunAsync(Command("ffmpeg", EndlessEncode(marker, "rawvideo", "pipe:1"), maxOutputBytes: 64 * 1024), CancellationToken.None));

        Assert.False(IsRunning(marker));
    }

    [Fact]
    public async Task A_missing_executable_names_the_setting_to_fix()
    {
        var command = new FfmpegCommand("/nonexistent/bin/ffprobe", "Media__FfprobePath", ["-version"], TimeSpan.FromSeconds(10), 1024);

        var exception = await Assert.ThrowsAsync<FfmpegNotFoundException>(() => runner.RunAsync(command, CancellationToken.None));

        Assert.Contains("/nonexistent/bin/ffprobe", exception.Message);
        Assert.Contains("Media__FfprobePath", exception.Message);
    }

    [Fact]
    public async Task Standard_error_never_holds_an_url_query()
    {
        var url = $"http://127.0.0.1:{ClosedPort.Next()}/devstoreaccount1/uploads/7/a.webm?sv=2024-08-04&se=2030-01-01&sp=r&sig=c2VjcmV0JTJCc2ln";

        var result = await runner.RunAsync(Command("ffprobe", ["-v", "error", url]), CancellationToken.None);

        Assert.Contains("/devstoreaccount1/uploads/7/a.webm", result.Error);
        Assert.DoesNotContain("sig=", result.Error);
        Assert.DoesNotContain("c2VjcmV0", result.Error);
        Assert.DoesNotContain("sv=", result.Error);
    }

    private static FfmpegCommand Command(string executable, IReadOnlyList<string> arguments, TimeSpan? timeout = null, int maxOutputBytes = 1024 * 1024)
        => new(executable, "Media__FfmpegPath", arguments, timeout ?? TimeSpan.FromSeconds(30), maxOutputBytes);

    // An endless test source; the marker in its metadata finds the process afterwards.
    private static string[] EndlessEncode(string marker, string format, string output)
        => ["-nostdin", "-v", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=25", "-metadata", $"comment={marker}", "-f", format, output];

    private static string Marker() => "recorder-test-" + Guid.NewGuid().ToString("N");

    private static Task UntilRunningAsync(string marker)
        => Eventually.TrueAsync(() => IsRunning(marker), $"ffmpeg {marker} runs", TimeSpan.FromSeconds(15));

    private static bool IsRunning(string marker)
        => Directory.EnumerateDirectories("/proc").Any(process =>
        {
            try
            {
                return File.ReadAllText(Path.Combine(process, "cmdline")).Contains(marker, StringComparison.Ordinal);
            }
            catch (IOException)
            {
                return false; // the process ended while it was being read
            }
            catch (UnauthorizedAccessException)
            {
                return false;
            }
        });
}
