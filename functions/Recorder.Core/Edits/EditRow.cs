using System.Text.Json;

namespace Recorder.Core.Edits;

/// <summary>A row of <c>recording_edits</c> as the edits API reads it.</summary>
public sealed class EditRow
{
    /// <summary>The select list matching this type's properties.</summary>
    public const string Columns = """
        id AS Id, sequence AS Sequence, edit_type AS EditType, parameters::text AS Parameters, undo_data::text AS UndoData,
        state AS State, applied_at AS AppliedAt, discarded_at AS DiscardedAt
        """;

    public long Id { get; init; }
    public int Sequence { get; init; }
    public string EditType { get; init; } = "";
    public string Parameters { get; init; } = "{}";
    public string? UndoData { get; init; }
    public string State { get; init; } = "";
    public DateTime AppliedAt { get; init; }
    public DateTime? DiscardedAt { get; init; }

    public HistoryEdit ToHistoryEdit() => new(Id, Sequence, State, EditParameters.FromStored(EditType, Parameters));
}

/// <summary>An edit as the API returns it.</summary>
/// <param name="Sequence">Its place in the recording's history (1, 2, 3 …).</param>
/// <param name="UndoData">What the edit replaced when it was made (see <see cref="EditState.UndoData"/>).</param>
/// <param name="AppliedAt">When it was made.</param>
public sealed record EditView(
    long Id,
    int Sequence,
    string EditType,
    JsonElement Parameters,
    JsonElement? UndoData,
    string State,
    DateTime AppliedAt,
    DateTime? DiscardedAt)
{
    public static EditView From(EditRow row) => new(
        row.Id, row.Sequence, row.EditType, Parse(row.Parameters), row.UndoData is { } undo ? Parse(undo) : null,
        row.State, row.AppliedAt, row.DiscardedAt);

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}

/// <summary>A page of a recording's history, oldest first, with the recording's current edit version.</summary>
public sealed record EditHistoryPage(long Version, IReadOnlyList<EditView> Items, string? NextCursor);

/// <summary>The outcome of an edit, undo or redo.</summary>
/// <param name="Version">The recording's new edit version (also the response's ETag).</param>
/// <param name="Edit">The edit made, undone or redone, in its new state.</param>
/// <param name="Discarded">Ids of the undone edits a new edit discarded (the redo branch it cut off); empty for undo and redo.</param>
/// <param name="State">The effective state after the change.</param>
public sealed record EditResult(long Version, EditView Edit, IReadOnlyList<long> Discarded, EditState State);
