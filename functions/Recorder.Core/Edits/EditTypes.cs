namespace Recorder.Core.Edits;

/// <summary>The kinds of edit (the <c>edit_type</c> check of migration 003).</summary>
public static class EditTypes
{
    public const string Trim = "trim";
    public const string Crop = "crop";
    public const string Filter = "filter";
    public const string TextOverlay = "text_overlay";

    public static readonly IReadOnlyList<string> All = [Trim, Crop, Filter, TextOverlay];
}

/// <summary>Where an edit stands in its recording's history (migration 010).</summary>
public static class EditStates
{
    /// <summary>In effect.</summary>
    public const string Applied = "applied";

    /// <summary>Taken back by an undo; the next redo applies it again.</summary>
    public const string Undone = "undone";

    /// <summary>Was undone when a new edit was made: kept and listed, never applied again.</summary>
    public const string Discarded = "discarded";
}

/// <summary>
/// One filter of the documented set: its one numeric parameter, that parameter's
/// range and default, and the value at which the filter does nothing.
/// </summary>
public sealed record FilterDefinition(string Name, string Parameter, decimal Min, decimal Max, decimal? Default, decimal Neutral);

/// <summary>The filters an edit may set, in the order the effective state lists them.</summary>
public static class FilterDefinitions
{
    public static readonly IReadOnlyList<FilterDefinition> All =
    [
        new("brightness", "value", -1, 1, null, 0),
        new("contrast", "value", 0, 4, null, 1),
        new("saturation", "value", 0, 3, null, 1),
        new("grayscale", "amount", 0, 1, 1, 0),
        new("sepia", "amount", 0, 1, 1, 0),
        new("blur", "radius", 0, 20, null, 0),
    ];

    public static FilterDefinition? Find(string? name) => All.FirstOrDefault(filter => filter.Name == name);
}
