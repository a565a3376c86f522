namespace Recorder.Core.Privacy;

/// <summary>What an erasure removed so far; counts add up over resumed runs. Nothing in it identifies the user.</summary>
public sealed class ErasureCounts
{
    public int Recordings { get; set; }
    public int Sessions { get; set; }
    public int Edits { get; set; }
    public int Exports { get; set; }
    public int AuditEntries { get; set; }

    /// <summary>The user's storage_usage alerts (alerts whose subject is the user id).</summary>
    public int Alerts { get; set; }

    /// <summary>The user's own retention policy (0 or 1); policies of their projects stay with the projects.</summary>
    public int RetentionPolicies { get; set; }

    /// <summary>The outbox rows of the user's recording events (recording_events), delivered or not.</summary>
    public int RecordingEvents { get; set; }
    public int ReleasedContent { get; set; }
    public int ReleasedSocialPosts { get; set; }
    public int ReleasedAiTasks { get; set; }

    /// <summary>Current blobs deleted, in every container.</summary>
    public int Blobs { get; set; }
    public int Snapshots { get; set; }

    /// <summary>Previous versions deleted (accounts with blob versioning).</summary>
    public int Versions { get; set; }

    /// <summary>
    /// Soft-deleted blobs seen: storage offers no way to purge them early, so they go when the account's
    /// soft-delete retention ends (docs/privacy.md).
    /// </summary>
    public int SoftDeletedLeftToRetention { get; set; }
}

/// <summary>
/// An erasure's state: <c>pending</c> (queued or under way: the recordings are gone for the user, rows and blobs
/// still going), <c>finishing</c> (rows gone; storage is swept again until <see cref="FinishAfter"/>),
/// <c>completed</c> (the user id is forgotten).
/// </summary>
public sealed record ErasureReceipt(
    long ErasureId,
    string Status,
    string SubjectHash,
    string RequestedBy,
    DateTimeOffset RequestedAt,
    DateTimeOffset? RowsDeletedAt,
    DateTimeOffset? FinishAfter,
    DateTimeOffset? CompletedAt,
    ErasureCounts Counts)
{
    public const string Pending = "pending";
    public const string Finishing = "finishing";
    public const string Completed = "completed";
    public const string ByUser = "user";
    public const string ByOperator = "operator";

    /// <summary>Re-applied from the erasure ledger to a restored database (<c>recorder replay-erasures</c>).</summary>
    public const string ByReplay = "replay";

    /// <summary>Where the user reads this erasure's state over HTTP; set by the HTTP functions, which own the routes.</summary>
    public string? StatusUrl { get; init; }
}
