namespace Recorder.Core.Media.Probe;

/// <summary>What <see cref="MediaProbe"/> made of a recording.</summary>
public abstract record ProbeResult
{
    private ProbeResult()
    {
    }

    /// <summary>ffprobe read the recording and found audio or video in it.</summary>
    public sealed record Probed(MediaInfo Info) : ProbeResult;

    /// <summary>
    /// The bytes are not a recording ffprobe can read: not media, a container the recorder does not
    /// take, cut short before its index, or without audio and video. No retry will change that.
    /// </summary>
    /// <param name="Reason">ffprobe's error, one bounded line without any URL query.</param>
    public sealed record Corrupt(string Reason) : ProbeResult;
}
