namespace Recorder.Core.Media;

/// <summary>Where ffprobe and ffmpeg are and how long they may run (bound from section "Media").</summary>
public sealed class MediaOptions
{
    public const string SectionName = "Media";

    /// <summary>The ffprobe executable: a path, or a name looked up on PATH.</summary>
    public string FfprobePath { get; set; } = "ffprobe";

    /// <summary>The ffmpeg executable: a path, or a name looked up on PATH.</summary>
    public string FfmpegPath { get; set; } = "ffmpeg";

    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan ThumbnailTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Width in pixels of video thumbnails and audio waveforms.</summary>
    public int ThumbnailWidth { get; set; } = 320;

    internal const string FfprobePathSetting = SectionName + "__" + nameof(FfprobePath);
    internal const string FfmpegPathSetting = SectionName + "__" + nameof(FfmpegPath);
}
