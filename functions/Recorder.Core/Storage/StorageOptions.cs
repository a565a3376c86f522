namespace Recorder.Core.Storage;

/// <summary>Container names in the recordings storage account (bound from section "Storage").</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>
    /// Name of the connection setting, in the Functions form: either a connection string under this
    /// key, or identity-based <c>RecordingsStorage__blobServiceUri</c> (or <c>__serviceUri</c>) with
    /// <c>__credential</c> = managedidentity and <c>__clientId</c>.
    /// </summary>
    public const string ConnectionName = "RecordingsStorage";

    public string UploadsContainer { get; set; } = "recordings-uploads";
    public string ProcessedContainer { get; set; } = "recordings-processed";
    public string ThumbnailsContainer { get; set; } = "recordings-thumbnails";
    public string ExportsContainer { get; set; } = "recordings-exports";
    public string DeadLetterContainer { get; set; } = "recordings-deadletter";

    /// <summary>The erasure ledger: immutable in Azure (docs/privacy.md, "Erasures survive restores").</summary>
    public string ErasureLedgerContainer { get; set; } = "erasure-ledger";

    public IReadOnlyList<string> AllContainers
        => [UploadsContainer, ProcessedContainer, ThumbnailsContainer, ExportsContainer, DeadLetterContainer, ErasureLedgerContainer];
}
