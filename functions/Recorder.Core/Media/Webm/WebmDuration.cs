namespace Recorder.Core.Media.Webm;

/// <summary>
/// How long a WebM recording lasts, how that was found, and how many bytes it took.
/// <see cref="Method"/> is <see cref="Header"/> or <see cref="Tail"/>.
/// <see cref="Truncated"/>: the file ends inside its last element (an upload cut off); the duration
/// then covers the whole blocks before the cut.
/// </summary>
public sealed record WebmDuration(TimeSpan Duration, string Method, long BytesRead, bool Truncated = false)
{
    /// <summary>The Segment Info's Duration, written by a muxer that knew the length.</summary>
    public const string Header = "header";

    /// <summary>The end of the last Cluster's blocks, found by reading the file backwards from its end.</summary>
    public const string Tail = "tail";
}
