namespace Recorder.Core.Recordings;

/// <summary>The kinds of recording the page makes, and the media types MediaRecorder produces for each.</summary>
public static class RecordingTypes
{
    public const string Audio = "audio";

    public static readonly IReadOnlyList<string> All = ["camera", Audio, "screen", "screen-camera", "slides-camera", "slides"];

    public static readonly IReadOnlyList<string> Qualities = ["high", "medium", "low"];

    public static readonly IReadOnlyList<string> Statuses = ["uploading", "processing", "completed", "failed"];

    // Essence (type/subtype) → blob file extension. Chrome records video/webm or video/x-matroska,
    // Safari video/mp4 and audio/mp4; Firefox audio/ogg for audio-only.
    private static readonly Dictionary<string, string> VideoTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["video/webm"] = ".webm",
        ["video/mp4"] = ".mp4",
        ["video/x-matroska"] = ".mkv",
    };

    private static readonly Dictionary<string, string> AudioTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["audio/webm"] = ".webm",
        ["audio/ogg"] = ".ogg",
        ["audio/mp4"] = ".m4a",
        ["audio/mpeg"] = ".mp3",
        ["audio/wav"] = ".wav",
        ["audio/aac"] = ".aac",
    };

    /// <summary>
    /// The blob extension for a media type allowed for the recording type; codec parameters
    /// (<c>video/webm;codecs=vp9,opus</c>) are allowed. Null when the type is not allowed.
    /// </summary>
    public static string? ExtensionFor(string recordingType, string mimeType)
    {
        // Split by hand: browsers report codec lists unquoted (video/webm;codecs=vp9,opus), which a
        // strict header parser rejects for the comma.
        var essence = mimeType.Split(';', 2)[0].Trim();
        var allowed = recordingType == Audio ? AudioTypes : VideoTypes;
        return allowed.TryGetValue(essence, out var extension) ? extension : null;
    }

    public static IEnumerable<string> AllowedMimeTypes(string recordingType) => (recordingType == Audio ? AudioTypes : VideoTypes).Keys;
}
