namespace Recorder.Core.Recordings;

/// <summary>Limits of the recordings API (section "Recordings").</summary>
public sealed class RecordingsOptions
{
    public const string SectionName = "Recordings";

    /// <summary>Largest file an upload URL is issued for (5 GiB).</summary>
    public long MaxFileSizeBytes { get; set; } = 5L * 1024 * 1024 * 1024;

    /// <summary>Storage limit of users without a row in user_storage_limits (10 GiB).</summary>
    public long DefaultStorageLimitBytes { get; set; } = 10L * 1024 * 1024 * 1024;

    /// <summary>Largest serialized <c>metadata</c> object (settings, device info) a recording may carry.</summary>
    public int MaxMetadataBytes { get; set; } = 16 * 1024;

    /// <summary>Block size the browser is told to upload with (Put Block).</summary>
    public int UploadBlockSizeBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Files up to this size go in one PUT; larger ones in blocks, which can resume.</summary>
    public int MaxSingleUploadBytes { get; set; } = 8 * 1024 * 1024;

    public int ListDefaultLimit { get; set; } = 20;

    public int ListMaxLimit { get; set; } = 100;
}
