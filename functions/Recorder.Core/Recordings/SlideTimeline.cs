using System.Runtime.InteropServices;
using System.Text.Json;
using Recorder.Core.Api;
using Recorder.Core.Edits;

namespace Recorder.Core.Recordings;

/// <summary>Slide <paramref name="Index"/> (0-based, in the deck) shown from <paramref name="Start"/> seconds of the recording.</summary>
public sealed record SlideEntry(int Index, string FileName, decimal Start);

/// <summary>A slide of the recording as edited: <paramref name="Start"/> on its clock (0 is where its trim begins),
/// <paramref name="SourceStart"/> the same moment in the media file.</summary>
public sealed record EffectiveSlideEntry(int Index, string FileName, decimal Start, decimal SourceStart);

/// <summary>The <c>slides</c> of a recording as the API returns it: the timeline as the edits' trim leaves it.</summary>
public sealed record SlideTimelineView(int Version, IReadOnlyList<EffectiveSlideEntry> Entries);

/// <summary>
/// The slide timeline a slides recording keeps in <c>metadata.slides</c>: <c>{ version: 1, entries: [{ index, fileName,
/// start }] }</c>, starts in seconds of recorded time, in order (docs/api.md, "Slide timeline"). The one rule for its shape,
/// which uploads and <c>PATCH</c> check, and for how a trim moves it (<see cref="Effective"/>).
/// </summary>
public sealed record SlideTimeline(IReadOnlyList<SlideEntry> Entries)
{
    /// <summary>Where the timeline is kept in a recording's metadata.</summary>
    public const string MetadataMember = "slides";

    public const int Version = 1;

    public const int MaxEntries = 500;

    /// <summary>Slides a deck may have: indexes run from 0 to one less.</summary>
    public const int MaxSlides = 1000;

    public const int MaxFileNameLength = 255;

    // The range of recordings.duration, NUMERIC(10,3), as edits have it.
    private const decimal MaxSeconds = 9_999_999.999m;

    /// <summary>
    /// The timeline in <paramref name="value"/>, or null with every problem added to <paramref name="errors"/> under
    /// <paramref name="field"/> (<c>metadata.slides.entries[2].start</c> …). Its JSON is at most <paramref name="maxBytes"/>.
    /// Strings must already have passed <see cref="StorableText"/>, as every request's have.
    /// </summary>
    public static SlideTimeline? Parse(JsonElement value, string field, int maxBytes, ValidationErrors errors)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(field, "must be an object: { \"version\": 1, \"entries\": [ { \"index\", \"fileName\", \"start\" } … ] }.");
            return null;
        }
        var reader = new ParameterReader(value, errors, field, "is not a member of a slide timeline (version, entries).");
        if (reader.Integer("version", int.MinValue, int.MaxValue) is not (null or Version))
        {
            reader.Fail("version", $"must be {Version}, the only version of the timeline's shape.");
        }
        var array = reader.Array("entries");
        reader.RejectUnknown();
        if (JsonMarshal.GetRawUtf8Value(value).Length > maxBytes)
        {
            errors.Add(field, $"must be at most {maxBytes} bytes of JSON.");
            return null;
        }
        if (array is not { } entries)
        {
            return null;
        }
        if (entries.GetArrayLength() is 0 or > MaxEntries)
        {
            reader.Fail("entries", $"must hold 1 to {MaxEntries} entries.");
            return null;
        }

        var parsed = new List<SlideEntry>(entries.GetArrayLength());
        var valid = !reader.Failed;
        foreach (var (item, position) in entries.EnumerateArray().Select((item, position) => (item, position)))
        {
            var path = $"{field}.entries[{position}]";
            if (ParseEntry(item, path, errors) is not { } entry)
            {
                valid = false;
                continue;
            }
            if (parsed.Count > 0 && entry.Start < parsed[^1].Start)
            {
                errors.Add(path + ".start",
                    $"must not be before the previous entry's start ({parsed[^1].Start} s): entries are in recording order.");
                valid = false;
            }
            parsed.Add(entry);
        }
        return valid ? new SlideTimeline(parsed) : null;
    }

    /// <summary>
    /// The timeline a recording's stored metadata holds, or null when it holds none that fits the rule (metadata was
    /// free-form before the rule, so an old recording's <c>slides</c> may be anything).
    /// </summary>
    public static SlideTimeline? FromMetadata(JsonElement metadata)
        => metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty(MetadataMember, out var slides)
            ? Parse(slides, MetadataMember, int.MaxValue, new ValidationErrors())
            : null;

    /// <summary>
    /// The timeline of the recording as its edits leave it: the slide showing where the trim begins starts at 0, later
    /// slides move back by the trim's start, and those before it or from its end on are cut. Untrimmed, it is as recorded.
    /// </summary>
    public SlideTimelineView Effective(TrimWindow? trim)
    {
        var (from, to) = trim is null ? (0m, decimal.MaxValue) : (trim.Start, trim.End);
        var showingAtStart = Entries.LastOrDefault(entry => entry.Start <= from);
        var kept = Entries.Where(entry => entry.Start > from && entry.Start < to);
        return new SlideTimelineView(Version, (showingAtStart is null ? kept : kept.Prepend(showingAtStart)).Select(Moved).ToList());

        EffectiveSlideEntry Moved(SlideEntry entry)
        {
            var sourceStart = Math.Max(entry.Start, from);
            return new EffectiveSlideEntry(entry.Index, entry.FileName, sourceStart - from, sourceStart);
        }
    }

    private static SlideEntry? ParseEntry(JsonElement item, string path, ValidationErrors errors)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            errors.Add(path, "must be an object: { \"index\", \"fileName\", \"start\" }.");
            return null;
        }
        var reader = new ParameterReader(item, errors, path, "is not a member of a slide timeline entry (index, fileName, start).");
        var index = reader.Integer("index", 0, MaxSlides - 1);
        var fileName = reader.Text("fileName");
        if (fileName is not null && (string.IsNullOrWhiteSpace(fileName) || fileName.Length > MaxFileNameLength))
        {
            reader.Fail("fileName", $"must be 1 to {MaxFileNameLength} characters, not all blank.");
        }
        var start = reader.Number("start", 0, MaxSeconds);
        reader.RejectUnknown();
        return reader.Failed ? null : new SlideEntry(index!.Value, fileName!, start!.Value);
    }
}
