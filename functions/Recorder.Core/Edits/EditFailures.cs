using Recorder.Core.Api;

namespace Recorder.Core.Edits;

/// <summary>
/// The 409s of the edits API. Each carries a machine-readable <c>code</c> in the problem body, and
/// those about versions the recording's <c>currentVersion</c>, so a client can tell them apart and retry.
/// </summary>
public static class EditFailures
{
    public const string NotCompleted = "not_completed";
    public const string StaleVersion = "stale_version";
    public const string NothingToUndo = "nothing_to_undo";
    public const string NothingToRedo = "nothing_to_redo";
    public const string TooManyOverlays = "too_many_overlays";
    public const string DurationUnknown = "duration_unknown";
    public const string FrameUnknown = "frame_unknown";

    public static Failure Conflict(string code, string detail, long? currentVersion = null)
        => new(FailureKind.Conflict, detail, Extensions: currentVersion is { } version
            ? new Dictionary<string, object?> { ["code"] = code, ["currentVersion"] = version }
            : new Dictionary<string, object?> { ["code"] = code });

    /// <summary>The code of a 409 made here, for the audit entry; null for other failures.</summary>
    public static string? CodeOf(Failure failure)
        => failure.Extensions is { } extensions && extensions.TryGetValue("code", out var code) ? code as string : null;
}
