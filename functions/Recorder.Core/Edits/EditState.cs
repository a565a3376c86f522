using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Recorder.Core.Api;

namespace Recorder.Core.Edits;

public sealed record TrimWindow(decimal Start, decimal End);

public sealed record CropRect(int X, int Y, int Width, int Height);

/// <param name="EditId">The edit that added the overlay.</param>
public sealed record TextOverlay(long EditId, string Text, decimal X, decimal Y, int FontSize, string Color, decimal Start, decimal End);

/// <summary>An edit of a recording's history, as the effective state needs it.</summary>
public sealed record HistoryEdit(long Id, int Sequence, string State, EditParameters Parameters);

/// <summary>
/// What a recording's applied edits add up to, in history order (a later trim, crop or filter value replaces the earlier;
/// overlays accumulate). <see cref="Compute"/> derives it from the history, so it is never stored and cannot disagree.
/// </summary>
/// <param name="Version">The recording's edit version: the token the next change must be based on.</param>
/// <param name="Filters">Filter name → its one parameter's value, in the order of <see cref="FilterDefinitions.All"/>.</param>
public sealed record EditState(
    long Version,
    TrimWindow? Trim,
    CropRect? Crop,
    IReadOnlyDictionary<string, decimal> Filters,
    IReadOnlyList<TextOverlay> Overlays,
    bool CanUndo,
    bool CanRedo)
{
    /// <summary>Overlays one recording may carry at once; each is drawn on every rendered frame.</summary>
    public const int MaxOverlays = 50;

    public static EditState Empty(long version) => new(version, null, null, new Dictionary<string, decimal>(), [], false, false);

    public static EditState Compute(long version, IEnumerable<HistoryEdit> history)
    {
        var state = Empty(version);
        foreach (var edit in history.OrderBy(edit => edit.Sequence))
        {
            state = edit.State switch
            {
                EditStates.Applied => state.Apply(edit.Id, edit.Parameters) with { CanUndo = true },
                EditStates.Undone => state with { CanRedo = true },
                _ => state,
            };
        }
        return state;
    }

    /// <summary>This state with one more edit applied.</summary>
    public EditState Apply(long editId, EditParameters edit) => edit switch
    {
        TrimParameters trim => this with { Trim = new TrimWindow(trim.Start, trim.End) },
        CropParameters crop => this with { Crop = new CropRect(crop.X, crop.Y, crop.Width, crop.Height) },
        FilterParameters filter => this with { Filters = WithFilter(filter) },
        TextOverlayParameters overlay => this with
        {
            Overlays = [.. Overlays,
                new TextOverlay(editId, overlay.Text, overlay.X, overlay.Y, overlay.FontSize, overlay.Color, overlay.Start, overlay.End)],
        },
        _ => throw new UnreachableException($"No effect defined for {edit.GetType().Name}."),
    };

    /// <summary>
    /// What <paramref name="edit"/> replaces in this state — the part it changes, as it was — stored as
    /// the edit's <c>undo_data</c>: enough to restore the state before it without replaying the history.
    /// </summary>
    public JsonObject UndoData(EditParameters edit) => edit switch
    {
        TrimParameters => new JsonObject { ["trim"] = Node(Trim) },
        CropParameters => new JsonObject { ["crop"] = Node(Crop) },
        FilterParameters => new JsonObject { ["filters"] = Node(Filters) },
        TextOverlayParameters => new JsonObject { ["overlays"] = Node(Overlays) },
        _ => throw new UnreachableException($"No undo data defined for {edit.GetType().Name}."),
    };

    private Dictionary<string, decimal> WithFilter(FilterParameters filter)
    {
        var values = new Dictionary<string, decimal>(Filters) { [filter.Name] = filter.Value };
        return FilterDefinitions.All
            .Where(definition => values.TryGetValue(definition.Name, out var value) && value != definition.Neutral)
            .ToDictionary(definition => definition.Name, definition => values[definition.Name]);
    }

    private static JsonNode? Node<T>(T value) => JsonSerializer.SerializeToNode(value, JsonRequest.SerializerOptions);
}
