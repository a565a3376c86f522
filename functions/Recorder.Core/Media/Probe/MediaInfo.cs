namespace Recorder.Core.Media.Probe;

/// <summary>What ffprobe found in a recording.</summary>
/// <param name="Container">ffprobe's <c>format_name</c>, e.g. <c>matroska,webm</c> or <c>mov,mp4,m4a,3gp,3g2,mj2</c>.</param>
/// <param name="Duration">Null when the container does not say (Chrome's WebM has no Duration); measured elsewhere then.</param>
/// <param name="BitRate">Bits per second over the whole file, when ffprobe gives one.</param>
public sealed record MediaInfo(string Container, TimeSpan? Duration, long? BitRate, VideoInfo? Video, AudioInfo? Audio)
{
    public bool HasVideo => Video is not null;

    public bool HasAudio => Audio is not null;
}

/// <summary>The first video stream that is not cover art.</summary>
/// <param name="FrameRate">Frames per second; null when ffprobe could not tell.</param>
public sealed record VideoInfo(string Codec, int Width, int Height, double? FrameRate);

/// <summary>The first audio stream.</summary>
public sealed record AudioInfo(string Codec, int Channels, int SampleRate);
