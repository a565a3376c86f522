using System.Text.Json;
using Recorder.Core.Api;
using Recorder.Core.Edits;
using Recorder.Core.Recordings;
using Xunit;

namespace Recorder.Core.Tests.Recordings;

/// <summary>The slide timeline's shape rule, and the timeline a trim leaves, as pure functions.</summary>
public sealed class SlideTimelineTests
{
    private const string Deck = """
        { "version": 1, "entries": [
          { "index": 0, "fileName": "intro.png", "start": 0 },
          { "index": 1, "fileName": "agenda.png", "start": 2.5 },
          { "index": 2, "fileName": "demo.webp", "start": 6 },
          { "index": 1, "fileName": "agenda.png", "start": 9.25 } ] }
        """;

    [Fact]
    public void A_well_formed_timeline_reads_entry_by_entry()
    {
        var timeline = Parse(Deck, out var errors);

        Assert.False(errors.Any);
        Assert.Equal(
            [
                new SlideEntry(0, "intro.png", 0), new SlideEntry(1, "agenda.png", 2.5m), new SlideEntry(2, "demo.webp", 6),
                new SlideEntry(1, "agenda.png", 9.25m),
            ],
            timeline!.Entries);
    }

    [Theory]
    [InlineData("[]", "slides")]
    [InlineData("""{ "entries": [] , "version": 1 }""", "slides.entries")]
    [InlineData("""{ "version": 2, "entries": [ { "index": 0, "fileName": "a.png", "start": 0 } ] }""", "slides.version")]
    [InlineData("""{ "entries": [ { "index": 0, "fileName": "a.png", "start": 0 } ] }""", "slides.version")]
    [InlineData("""{ "version": 1, "entries": {} }""", "slides.entries")]
    [InlineData("""{ "version": 1, "entries": [], "title": "x" }""", "slides.title")]
    [InlineData("""{ "version": 1, "entries": [ 3 ] }""", "slides.entries[0]")]
    [InlineData("""{ "version": 1, "entries": [ { "index": 1.5, "fileName": "a.png", "start": 0 } ] }""", "slides.entries[0].index")]
    [InlineData("""{ "version": 1, "entries": [ { "index": -1, "fileName": "a.png", "start": 0 } ] }""", "slides.entries[0].index")]
    [InlineData("""{ "version": 1, "entries": [ { "index": 1000, "fileName": "a.png", "start": 0 } ] }""", "slides.entries[0].index")]
    [InlineData("""{ "version": 1, "entries": [ { "index": "0", "fileName": "a.png", "start": 0 } ] }""", "slides.entries[0].index")]
    [InlineData("""{ "version": 1, "entries": [ { "index": 0, "fileName": " ", "start": 0 } ] }""", "slides.entries[0].fileName")]
    [InlineData("""{ "version": 1, "entries": [ { "index": 0, "fileName": 7, "start": 0 } ] }""", "slides.entries[0].fileName")]
    [InlineData("""{ "version": 1, "entries": [ { "index": 0, "start": 0 } ] }""", "slides.entries[0].fileName")]
    [InlineData("""{ "version": 1, "entries": [ { "index": 0, "fileName": "a.png", "start": -0.1 } ] }""", "slides.entries[0].start")]
    [InlineData("""{ "version": 1, "entries": [ { "index": 0, "fileName": "a.png", "start": "0" } ] }""", "slides.entries[0].start")]
    [InlineData("""{ "version": 1, "entries": [ { "index": 0, "fileName": "a.png", "start": 0, "end": 3 } ] }""", "slides.entries[0].end")]
    [InlineData("""{"version": 1, "entries": [{"index": 0, "fileName": "a", "start": 4}, {"index": 1, "fileName": "b", "start": 3.999}]}""",
        "slides.entries[1].start")]
    public void A_timeline_of_another_shape_is_refused_naming_the_field(string json, string field)
    {
        Assert.Null(Parse(json, out var errors));

        Assert.True(errors.ToFailure().Errors!.ContainsKey(field), string.Join("; ", errors.ToFailure().Errors!.Keys));
    }

    [Fact]
    public void Counts_and_names_are_bounded()
    {
        var name = new string('n', SlideTimeline.MaxFileNameLength);
        Assert.NotNull(Parse(Timeline(SlideTimeline.MaxEntries, name), out _, maxBytes: int.MaxValue));

        Assert.Null(Parse(Timeline(SlideTimeline.MaxEntries + 1, "a.png"), out var tooMany, maxBytes: int.MaxValue));
        Assert.True(tooMany.ToFailure().Errors!.ContainsKey("slides.entries"));
        Assert.Null(Parse(Timeline(1, name + "n"), out var tooLong));
        Assert.True(tooLong.ToFailure().Errors!.ContainsKey("slides.entries[0].fileName"));
        Assert.Null(Parse(Timeline(200, "a.png"), out var tooBig, maxBytes: 1024));
        Assert.True(tooBig.ToFailure().Errors!.ContainsKey("slides"));
    }

    [Fact]
    public void Untrimmed_the_effective_timeline_is_the_recorded_one()
    {
        var effective = Parse(Deck, out _)!.Effective(trim: null);

        Assert.Equal([(0, 0m, 0m), (1, 2.5m, 2.5m), (2, 6m, 6m), (1, 9.25m, 9.25m)], Starts(effective));
    }

    [Fact]
    public void A_trim_starts_with_the_slide_showing_at_its_start_and_moves_later_slides_back()
    {
        var effective = Parse(Deck, out _)!.Effective(new TrimWindow(3, 12.5m));

        // intro (0 – 2.5) is cut; agenda was showing at 3 s, so it opens the trimmed recording.
        Assert.Equal([(1, 0m, 3m), (2, 3m, 6m), (1, 6.25m, 9.25m)], Starts(effective));
        Assert.Equal(["agenda.png", "demo.webp", "agenda.png"], effective.Entries.Select(entry => entry.FileName));
    }

    [Fact]
    public void A_slide_starting_exactly_at_the_trim_start_opens_it_and_slides_from_the_trim_end_on_are_cut()
    {
        var effective = Parse(Deck, out _)!.Effective(new TrimWindow(2.5m, 9.25m));

        Assert.Equal([(1, 0m, 2.5m), (2, 3.5m, 6m)], Starts(effective));
    }

    [Fact]
    public void A_trim_before_the_first_slide_keeps_the_slides_where_they_are_in_the_trimmed_recording()
    {
        var timeline = new SlideTimeline([new SlideEntry(0, "a.png", 1), new SlideEntry(1, "b.png", 4)]);

        Assert.Equal([(0, 0.5m, 1m)], Starts(timeline.Effective(new TrimWindow(0.5m, 3))));
    }

    [Fact]
    public void Stored_metadata_without_a_timeline_that_fits_the_rule_has_none()
    {
        Assert.Null(SlideTimeline.FromMetadata(Json("""{ "durationSeconds": 3 }""")));
        Assert.Null(SlideTimeline.FromMetadata(Json("""{ "slides": ["intro.png", "agenda.png"] }""")));
        Assert.NotNull(SlideTimeline.FromMetadata(Json($$"""{ "media": { "width": 1280 }, "slides": {{Deck}} }""")));
    }

    private static SlideTimeline? Parse(string json, out ValidationErrors errors, int maxBytes = 16 * 1024)
    {
        errors = new ValidationErrors();
        return SlideTimeline.Parse(Json(json), "slides", maxBytes, errors);
    }

    private static string Timeline(int entries, string fileName)
        => JsonSerializer.Serialize(new
        {
            version = 1,
            entries = Enumerable.Range(0, entries).Select(i => new { index = i % SlideTimeline.MaxSlides, fileName, start = i * 1.5 }),
        });

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static List<(int Index, decimal Start, decimal SourceStart)> Starts(SlideTimelineView view)
        => view.Entries.Select(entry => (entry.Index, entry.Start, entry.SourceStart)).ToList();
}
