namespace Recorder.Core.Ingest;

/// <summary>
/// Why ingest refused a recording: a code for programs (failure_code) and a sentence for the page (failure_reason).
/// <paramref name="RemoveBlob"/>: the upload goes at once, as keeping it is the risk; otherwise it is kept for
/// <see cref="IngestOptions.FailedUploadGracePeriod"/> so support can recover it (docs/ingest.md, "Checks before probing").
/// </summary>
public sealed record IngestFailure(string Code, string Reason, bool RemoveBlob = false, string? Detail = null)
{
    public const string EmptyFile = "empty_file";
    public const string FileTooLarge = "file_too_large";
    public const string QuotaExceeded = "quota_exceeded";
    public const string UnsupportedMedia = "unsupported_media";
    public const string CorruptMedia = "corrupt_media";
    public const string BlobMissing = "blob_missing";
    public const string ProcessingFailed = "processing_failed";
    public const string UnsupportedUpload = "unsupported_upload";

    /// <summary>
    /// The refusals whose blob always goes at once: nothing in it, more than a user may store, or made by storage from some
    /// other blob. <see cref="UnsupportedMedia"/> goes at once only when the file is no audio or video at all.
    /// </summary>
    public static readonly IReadOnlyList<string> CodesThatRemoveTheBlob = [EmptyFile, FileTooLarge, QuotaExceeded, UnsupportedUpload];

    /// <summary>
    /// Null when <paramref name="size"/> bytes fit beside the owner's other live recordings (<paramref name="othersBytes"/>).
    /// </summary>
    public static IngestFailure? BeyondQuota(long size, long othersBytes, long limitBytes) => othersBytes + size <= limitBytes ? null
        : new(QuotaExceeded, $"The file ({size} bytes) does not fit in your storage: {othersBytes} of {limitBytes} bytes are in use.",
            RemoveBlob: true);

    /// <summary>The blob was made by storage itself (a copy from another blob, say), not uploaded by the browser.</summary>
    public static IngestFailure NotABrowserUpload(string how) => new(
        UnsupportedUpload, "The file was not uploaded from the recorder (only a direct upload of the recording is accepted).",
        RemoveBlob: true, Detail: how);
}
