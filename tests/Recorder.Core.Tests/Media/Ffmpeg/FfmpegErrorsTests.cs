using Recorder.Core.Media.Ffmpeg;
using Xunit;

namespace Recorder.Core.Tests.Media.Ffmpeg;

public sealed class FfmpegErrorsTests
{
    private static readonly FfmpegCommand Probe = new("/usr/bin/ffprobe", "Media__FfprobePath", [], TimeSpan.FromSeconds(1), 1);

    [Theory]
    [InlineData("https://acct.blob.core.windows.net/c/7/a.webm?sv=2024-08-04&sr=b&sp=r&sig=abc%2Bdef%3D: Invalid data", "https://acct.blob.core.windows.net/c/7/a.webm: Invalid data")]
    [InlineData("open 'http://127.0.0.1:10000/devstoreaccount1/c/a.mp4?sig=x&se=1' failed", "open 'http://127.0.0.1:10000/devstoreaccount1/c/a.mp4' failed")]
    [InlineData("two: http://h/a?x=1 and https://h/b?sig=2\n", "two: http://h/a and https://h/b\n")]
    [InlineData("a query cut from its URL: sp=r&sig=abc%2B&se=2030", "a query cut from its URL: sp=r&[redacted]&se=2030")]
    [InlineData("no URL here", "no URL here")]
    public void Strips_url_queries(string text, string expected)
    {
        Assert.Equal(expected, UrlRedaction.StripQueries(text));
    }

    [Fact]
    public void A_reason_is_one_line_without_pointers_or_queries()
    {
        var error = "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x556123cc29c0] moov atom not found\nhttp://h/c/a.mp4?sig=x: Invalid data found when processing input\n";

        var reason = FfmpegErrors.Reason(Probe, new FfmpegResult(1, [], error));

        Assert.Equal("[mov,mp4,m4a,3gp,3g2,mj2] moov atom not found; http://h/c/a.mp4: Invalid data found when processing input", reason);
    }

    [Fact]
    public void A_reason_is_bounded_and_never_empty()
    {
        Assert.Equal(FfmpegErrors.MaxReasonChars, FfmpegErrors.Reason(Probe, new FfmpegResult(1, [], new string('x', 5000))).Length);
        Assert.Equal("ffprobe exited with code 3", FfmpegErrors.Reason(Probe, new FfmpegResult(3, [], "  \n")));
    }

    [Theory]
    [InlineData("http://h/a.webm: Server returned 404 Not Found", true)]
    [InlineData("http://h/a.webm: Server returned 403 Forbidden (access denied)", true)]
    [InlineData("http://h/a.webm: Server returned 5XX Server Error reply", true)]
    [InlineData("[tcp] Connection to tcp://127.0.0.1:1 failed: Connection refused", true)]
    [InlineData("/tmp/a.webm: No such file or directory", true)]
    [InlineData("http://h/a.webm: Server returned 4XX Client Error, but not one of 40{0,1,3,4}", false)]
    [InlineData("[mov,mp4,m4a,3gp,3g2,mj2] moov atom not found", false)]
    [InlineData("http://h/a.webm: Invalid data found when processing input", false)]
    public void Tells_a_read_failure_from_bad_media(string error, bool isReadFailure)
    {
        Assert.Equal(isReadFailure, FfmpegErrors.IsReadFailure(error));
    }
}
