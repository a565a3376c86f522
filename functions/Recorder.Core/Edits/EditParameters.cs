using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Recorder.Core.Api;

namespace Recorder.Core.Edits;

/// <summary>What an edit is checked against: the recording's length and, for visual edits, its frame.</summary>
/// <param name="Duration">Seconds, as ingest measured them; null if never measured.</param>
/// <param name="Width">Frame width in pixels from <c>metadata.media</c>, when ingest found one.</param>
public sealed record EditTarget(decimal? Duration, bool HasVideo, int? Width, int? Height);

/// <summary>
/// The validated parameters of one edit. <see cref="Parse"/> checks their shape and ranges, the same
/// for every recording; <see cref="Check"/> checks them against the recording they are applied to;
/// <see cref="ToJson"/> is the normalized form stored in <c>recording_edits.parameters</c>.
/// </summary>
public abstract partial record EditParameters
{
    /// <summary>Seconds an edit may name at most: the range of <c>recordings.duration</c>, NUMERIC(10,3).</summary>
    private const decimal MaxSeconds = 9_999_999.999m;

    public abstract string EditType { get; }

    public abstract JsonObject ToJson();

    /// <summary>
    /// Null when the edit fits the recording; else a 400 naming the parameter, or a 409 when the recording lacks what the check needs.
    /// </summary>
    public abstract Failure? Check(EditTarget target);

    /// <summary>The parameters of an edit request, or null with the problems added to <paramref name="errors"/>.</summary>
    public static EditParameters? Parse(string? editType, JsonElement? parameters, ValidationErrors errors)
    {
        var type = errors.OneOf("editType", editType, EditTypes.All, required: true);
        if (parameters is not { ValueKind: JsonValueKind.Object } value)
        {
            errors.Add("parameters", "is required: a JSON object.");
            return null;
        }
        if (type is null)
        {
            return null;
        }

        var reader = new ParameterReader(value, errors);
        EditParameters? parsed = type switch
        {
            EditTypes.Trim => TrimParameters.Read(reader),
            EditTypes.Crop => CropParameters.Read(reader),
            EditTypes.Filter => FilterParameters.Read(reader),
            _ => TextOverlayParameters.Read(reader),
        };
        reader.RejectUnknown();
        return reader.Failed ? null : parsed;
    }

    /// <summary>Parameters as this code stored them; anything else there is a bug, not a client error.</summary>
    public static EditParameters FromStored(string editType, string json)
    {
        using var document = JsonDocument.Parse(json);
        var errors = new ValidationErrors();
        return Parse(editType, document.RootElement.Clone(), errors)
            ?? throw new InvalidOperationException(
                $"Stored parameters of a '{editType}' edit are not valid: " +
                $"{string.Join("; ", errors.ToFailure().Errors!.Select(error => $"{error.Key} {string.Join(' ', error.Value)}"))}");
    }

    /// <summary>A 409 when the recording's length was never measured, a 400 when <paramref name="end"/> lies past it.</summary>
    private protected static Failure? WithinDuration(EditTarget target, decimal end)
        => target.Duration is not { } duration
            ? EditFailures.Conflict(EditFailures.DurationUnknown,
                "The recording's duration is not known, so no time range can be checked against it.")
            : end > duration
                ? Failure.Invalid("parameters.end", $"must be at most the recording's duration ({duration} s).")
                : null;

    private protected static Failure? NeedsVideo(EditTarget target, string editType)
        => target.HasVideo ? null : Failure.Invalid("editType", $"{editType} applies to video; this recording has no video.");

    private protected static decimal? Seconds(ParameterReader reader, string name) => reader.Number(name, 0, MaxSeconds);

    /// <summary>Start and end of a time range, end strictly after start (a zero-length range is refused).</summary>
    private protected static (decimal Start, decimal End)? Range(ParameterReader reader, string what)
    {
        var start = Seconds(reader, "start");
        var end = Seconds(reader, "end");
        if (start is null || end is null)
        {
            return null;
        }
        if (end <= start)
        {
            reader.Fail("end", $"must be after start: a {what} of zero length or less is not allowed.");
            return null;
        }
        return (start.Value, end.Value);
    }

    [GeneratedRegex("^#[0-9A-Fa-f]{6}$")]
    private protected static partial Regex HexColor();
}

/// <summary>Keep <c>[start, end)</c> seconds of the recording; a later trim replaces an earlier one.</summary>
public sealed record TrimParameters(decimal Start, decimal End) : EditParameters
{
    public override string EditType => EditTypes.Trim;

    internal static TrimParameters? Read(ParameterReader reader)
        => Range(reader, "trim") is { } range ? new TrimParameters(range.Start, range.End) : null;

    public override Failure? Check(EditTarget target) => WithinDuration(target, End);

    public override JsonObject ToJson() => new() { ["start"] = Start, ["end"] = End };
}

/// <summary>Keep a rectangle of the frame, in pixels of the original frame; a later crop replaces an earlier one.</summary>
public sealed record CropParameters(int X, int Y, int Width, int Height) : EditParameters
{
    private const int MaxPixels = 65_535;

    public override string EditType => EditTypes.Crop;

    internal static CropParameters? Read(ParameterReader reader)
    {
        var x = reader.Integer("x", 0, MaxPixels);
        var y = reader.Integer("y", 0, MaxPixels);
        var width = reader.Integer("width", 1, MaxPixels);
        var height = reader.Integer("height", 1, MaxPixels);
        return x is null || y is null || width is null || height is null ? null
            : new CropParameters(x.Value, y.Value, width.Value, height.Value);
    }

    public override Failure? Check(EditTarget target)
    {
        if (NeedsVideo(target, EditType) is { } noVideo)
        {
            return noVideo;
        }
        if (target is not { Width: { } frameWidth, Height: { } frameHeight })
        {
            return EditFailures.Conflict(EditFailures.FrameUnknown,
                "The recording's frame size is not known, so no crop can be checked against it.");
        }
        var errors = new ValidationErrors();
        if (X + Width > frameWidth)
        {
            errors.Add("parameters.width", $"x + width must be at most the frame width ({frameWidth}).");
        }
        if (Y + Height > frameHeight)
        {
            errors.Add("parameters.height", $"y + height must be at most the frame height ({frameHeight}).");
        }
        return errors.Any ? errors.ToFailure() : null;
    }

    public override JsonObject ToJson() => new() { ["x"] = X, ["y"] = Y, ["width"] = Width, ["height"] = Height };
}

/// <summary>Set one filter of <see cref="FilterDefinitions"/> to a value; at its neutral value the filter is off.</summary>
public sealed record FilterParameters(string Name, decimal Value) : EditParameters
{
    public override string EditType => EditTypes.Filter;

    public FilterDefinition Definition => FilterDefinitions.Find(Name) ?? throw new InvalidOperationException($"Unknown filter '{Name}'.");

    internal static FilterParameters? Read(ParameterReader reader)
    {
        var name = reader.Text("name");
        if (name is null)
        {
            reader.Allow(FilterDefinitions.All.Select(f => f.Parameter));
            return null;
        }
        if (FilterDefinitions.Find(name) is not { } filter)
        {
            reader.Fail("name", $"must be one of {string.Join(", ", FilterDefinitions.All.Select(f => f.Name))}.");
            // Which parameter belongs is unknown; reporting the given one as unknown too would mislead.
            reader.Allow(FilterDefinitions.All.Select(f => f.Parameter));
            return null;
        }
        return reader.Number(filter.Parameter, filter.Min, filter.Max, filter.Default) is { } value ? new FilterParameters(name, value)
            : null;
    }

    public override Failure? Check(EditTarget target) => NeedsVideo(target, EditType);

    public override JsonObject ToJson() => new() { ["name"] = Name, [Definition.Parameter] = Value };
}

/// <summary>
/// Text drawn over the video from <c>start</c> to <c>end</c> seconds; <c>x</c>, <c>y</c> place its
/// top-left corner relative to the frame (0..1). Overlays add up: each edit adds one.
/// </summary>
public sealed record TextOverlayParameters(
    string Text, decimal X, decimal Y, int FontSize, string Color, decimal Start, decimal End) : EditParameters
{
    public const int MaxTextLength = 200;

    public override string EditType => EditTypes.TextOverlay;

    internal static TextOverlayParameters? Read(ParameterReader reader)
    {
        var text = reader.Text("text");
        if (text is not null && (string.IsNullOrWhiteSpace(text) || text.Length > MaxTextLength))
        {
            reader.Fail("text", $"must be 1 to {MaxTextLength} characters, not all blank.");
            text = null;
        }
        var x = reader.Number("x", 0, 1);
        var y = reader.Number("y", 0, 1);
        var fontSize = reader.Integer("fontSize", 8, 200);
        var color = reader.Text("color");
        if (color is not null && !HexColor().IsMatch(color))
        {
            reader.Fail("color", "must be #RRGGBB (six hexadecimal digits).");
            color = null;
        }
        var range = Range(reader, "text overlay");
        return text is null || x is null || y is null || fontSize is null || color is null || range is null
            ? null
            : new TextOverlayParameters(text, x.Value, y.Value, fontSize.Value, color.ToUpperInvariant(), range.Value.Start,
                range.Value.End);
    }

    public override Failure? Check(EditTarget target) => NeedsVideo(target, EditType) ?? WithinDuration(target, End);

    public override JsonObject ToJson() => new()
    {
        ["text"] = Text, ["x"] = X, ["y"] = Y, ["fontSize"] = FontSize, ["color"] = Color, ["start"] = Start, ["end"] = End,
    };
}
