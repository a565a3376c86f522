using Recorder.Core.Media.Ffmpeg;
using Xunit;

namespace Recorder.Core.Tests.Media.Ffmpeg;

public sealed class FfmpegInputTests
{
    private const string ReadSas = "https://acct.blob.core.windows.net/uploads/u1/7/a.webm?sv=2024-08-04&sig=abc";

    [Fact]
    public void A_partial_read_over_http_bounds_the_receive_window()
    {
        var input = FfmpegInput.From(ReadSas);

        Assert.Equal("65536", OptionValue(input, "-recv_buffer_size"));
        Assert.Equal("https://acct.blob.core.windows.net/uploads/u1/7/a.webm", input.Display);
    }

    [Fact]
    public void A_whole_file_read_keeps_the_kernels_window()
    {
        var input = FfmpegInput.From(ReadSas, readsWholeFile: true);

        Assert.DoesNotContain("-recv_buffer_size", input.Options);
        Assert.Equal("https,http,tls,tcp", OptionValue(input, "-protocol_whitelist"));
    }

    [Fact]
    public void A_local_file_is_read_through_the_file_protocol_only()
    {
        var input = FfmpegInput.From("/tmp/a:b.webm");

        Assert.Equal("file:/tmp/a:b.webm", input.Url);
        Assert.Equal("file", OptionValue(input, "-protocol_whitelist"));
        Assert.DoesNotContain("-recv_buffer_size", input.Options);
    }

    [Fact]
    public void Anything_else_is_refused()
    {
        Assert.Throws<ArgumentException>(() => FfmpegInput.From("relative/a.webm"));
        Assert.Throws<ArgumentException>(() => FfmpegInput.From("ftp://h/a.webm"));
    }

    private static string? OptionValue(FfmpegInput input, string option)
    {
        var index = input.Options.ToList().IndexOf(option);
        return index >= 0 ? input.Options[index + 1] : null;
    }
}
