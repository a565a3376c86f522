namespace Recorder.Testing.Media;

/// <summary>A committed recording of tests/fixtures/media with what the recorder page declares for it.</summary>
public sealed record MediaSample(string FileName, string RecordingType, string MimeType)
{
    /// <summary>Good recordings of each kind the page makes (Chrome camera and microphone WebMs, an Ogg): ingest completes them all.</summary>
    public static IReadOnlyList<MediaSample> Recordings { get; } =
    [
        new("chrome-camera.webm", "camera", "video/webm;codecs=vp8,opus"),
        new("chrome-audio.webm", "audio", "audio/webm;codecs=opus"),
        new("audio.ogg", "audio", "audio/ogg"),
    ];

    public string Path => TestEnvironment.MediaFixture(FileName);
}
