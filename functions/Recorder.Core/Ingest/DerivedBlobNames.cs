using Recorder.Core.Media.Remux;

namespace Recorder.Core.Ingest;

/// <summary>
/// Names of what ingest derives from an upload (served media copy, seekable copy, thumbnail) in the
/// processed and thumbnails containers: under the upload's own name without its extension, so each carries
/// the upload's 128-bit random part (nobody can derive it from ids), then the writing attempt's own id, so
/// two attempts (a retry beside a worker that outlived its lease) never share a blob.
/// </summary>
public static class DerivedBlobNames
{
    /// <summary>
    /// The server's copy of the upload that a completed recording serves (no browser URL can write it), named for what the
    /// recording is (<paramref name="extension"/>), which is not the upload's when the declared type was wrong.
    /// </summary>
    public static string Media(string uploadBlobName, Guid attempt, string extension)
        => $"{Folder(uploadBlobName, attempt)}/media{extension}";

    /// <summary>A seekable copy, in a container of its own (<c>.webm</c>, <c>.mkv</c>: <see cref="SeekableContainer"/>).</summary>
    public static string Seekable(string uploadBlobName, Guid attempt, string extension)
        => $"{Folder(uploadBlobName, attempt)}/seekable{extension}";

    public static string Thumbnail(string uploadBlobName, Guid attempt, string extension)
        => $"{Folder(uploadBlobName, attempt)}/thumbnail{extension}";

    /// <summary>Whether a recording's media is already a seekable copy, in any of its containers (or of an earlier naming).</summary>
    public static bool IsSeekable(string mediaBlobName)
        => SeekableContainer.All.Any(container => mediaBlobName.EndsWith("/seekable" + container.Extension, StringComparison.Ordinal));

    private static string Folder(string uploadBlobName, Guid attempt)
        => $"{uploadBlobName[..^Path.GetExtension(uploadBlobName).Length]}/{attempt:N}";
}
