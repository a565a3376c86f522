namespace Recorder.Core.Media.Ffmpeg;

/// <summary>
/// ffprobe or ffmpeg could not fetch the input (an HTTP error status, a network failure, a missing
/// file): nothing is known about the media itself, so a later attempt may succeed. The message
/// carries no URL query.
/// </summary>
public sealed class MediaReadException(string message) : IOException(message);
