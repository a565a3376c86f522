namespace Recorder.Core.Ingest;

public enum QuarantineMode
{
    /// <summary>Move unknown blobs to the dead-letter container under <c>quarantine/</c> (keeps evidence).</summary>
    Move,

    /// <summary>Delete unknown blobs.</summary>
    Delete,
}

/// <summary>Blob-created ingest (section "Ingest").</summary>
public sealed class IngestOptions
{
    public const string SectionName = "Ingest";

    /// <summary>
    /// The storage account's resource id as Event Grid puts it in <c>topic</c>
    /// (<c>/subscriptions/…/resourceGroups/…/providers/Microsoft.Storage/storageAccounts/{name}</c>);
    /// events of any other topic are ignored.
    /// </summary>
    public string StorageAccountTopic { get; set; } = "";

    public QuarantineMode Quarantine { get; set; } = QuarantineMode.Move;

    /// <summary>
    /// How long a worker's hold on a recording lasts without renewal; renewed every third of it while the work goes
    /// on, so it only runs out for a worker that died (or lost the database). Well below the queue's message lease.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How old an outbox message must be before the sweep sends it (its committer normally has by then).</summary>
    public TimeSpan OutboxResendAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>File an ai_generation_tasks 'transcription' row for each completed recording with audio.</summary>
    public bool CreateTranscriptionTasks { get; set; }

    /// <summary>Remux WebM without Duration/Cues (Chrome's) into a seekable copy after ingest.</summary>
    public bool SeekableCopy { get; set; } = true;

    /// <summary>
    /// Longest a seekable copy may take, remux, check and upload together (it moves the whole file three times).
    /// Kept below host.json's functionTimeout, so a slow copy is cancelled here rather than by the host.
    /// </summary>
    public TimeSpan SeekableCopyTimeout { get; set; } = TimeSpan.FromMinutes(20);

    /// <summary>
    /// Local disk the seekable copies in flight in this process may occupy together, in bytes. Each reserves its
    /// media's size (a remux copies the streams and adds only a Cues index). Azure: the replica's ephemeral disk less
    /// headroom (main.bicep).
    /// </summary>
    public long SeekableCopyDiskBudgetBytes { get; set; } = 6L * 1024 * 1024 * 1024;

    /// <summary>How long a seekable copy that finds the disk budget taken is put back on the queue for.</summary>
    public TimeSpan SeekableCopyDiskWait { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long the upload of a recording that failed is kept, so support can recover it, before the lifecycle sweep removes
    /// it; refusals whose blob is itself the risk go at once (<see cref="IngestFailure.RemoveBlob"/>).
    /// </summary>
    public TimeSpan FailedUploadGracePeriod { get; set; } = TimeSpan.FromDays(7);
}
