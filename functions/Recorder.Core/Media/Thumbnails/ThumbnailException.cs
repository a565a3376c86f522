namespace Recorder.Core.Media.Thumbnails;

/// <summary>ffmpeg read the recording but made no image of it (undecodable frames or audio). The message carries no URL query.</summary>
public sealed class ThumbnailException(string message) : Exception(message);
