using System.Text.Json;
using Recorder.Core.Api;
using Recorder.Core.Edits;
using Xunit;

namespace Recorder.Core.Tests.Edits;

/// <summary>Each edit type's shape, ranges and fit to the recording, without a database.</summary>
public sealed class EditParametersTests
{
    private static readonly EditTarget Video = new(Duration: 12.5m, HasVideo: true, Width: 1280, Height: 720);
    private static readonly EditTarget Audio = new(Duration: 12.5m, HasVideo: false, Width: null, Height: null);

    [Fact]
    public void Reads_each_edit_type_into_its_normalized_form()
    {
        Assert.Equal(new TrimParameters(1.5m, 10m), Parse("trim", """{"start": 1.5, "end": 10}"""));
        Assert.Equal(new CropParameters(0, 10, 640, 360), Parse("crop", """{"x": 0, "y": 10, "width": 640, "height": 360}"""));
        Assert.Equal(new FilterParameters("brightness", -0.25m), Parse("filter", """{"name": "brightness", "value": -0.25}"""));
        Assert.Equal(new FilterParameters("grayscale", 1m), Parse("filter", """{"name": "grayscale"}"""));
        Assert.Equal(new FilterParameters("blur", 20m), Parse("filter", """{"name": "blur", "radius": 20}"""));
        Assert.Equal(
            new TextOverlayParameters("Hello", 0.1m, 0.9m, 24, "#FFAA00", 0m, 12.5m),
            Parse("text_overlay", """{"text": "Hello", "x": 0.1, "y": 0.9, "fontSize": 24, "color": "#ffaa00", "start": 0, "end": 12.5}"""));
    }

    [Theory]
    [InlineData("trim", """{"start": 1, "end": 10}""")]
    [InlineData("crop", """{"x": 1, "y": 2, "width": 3, "height": 4}""")]
    [InlineData("filter", """{"name": "sepia", "amount": 0.5}""")]
    [InlineData("filter", """{"name": "contrast", "value": 4}""")]
    [InlineData("text_overlay", """{"text": "Hi", "x": 0, "y": 1, "fontSize": 8, "color": "#000000", "start": 2, "end": 3.25}""")]
    public void Stored_parameters_read_back_as_they_were_written(string editType, string json)
    {
        var parsed = Parse(editType, json);

        Assert.Equal(parsed, EditParameters.FromStored(editType, parsed.ToJson().ToJsonString()));
    }

    [Theory]
    [InlineData("trim", """{"start": 5, "end": 5}""", "parameters.end")]            // zero length
    [InlineData("trim", """{"start": 6, "end": 5}""", "parameters.end")]
    [InlineData("trim", """{"start": -1, "end": 5}""", "parameters.start")]
    [InlineData("trim", """{"start": "0", "end": 5}""", "parameters.start")]
    [InlineData("trim", """{"end": 5}""", "parameters.start")]
    [InlineData("trim", """{"start": 0, "end": 5, "speed": 2}""", "parameters.speed")]  // unknown key
    [InlineData("trim", """{"start": 0, "end": 5, "end": 6}""", "parameters.end")]      // given twice
    [InlineData("crop", """{"x": 0, "y": 0, "width": 0, "height": 10}""", "parameters.width")]
    [InlineData("crop", """{"x": -1, "y": 0, "width": 10, "height": 10}""", "parameters.x")]
    [InlineData("crop", """{"x": 0.5, "y": 0, "width": 10, "height": 10}""", "parameters.x")]
    [InlineData("crop", """{"x": 0, "y": 0, "width": 10}""", "parameters.height")]
    [InlineData("filter", """{"name": "vignette", "value": 1}""", "parameters.name")]  // unknown filter
    [InlineData("filter", """{"value": 1}""", "parameters.name")]
    [InlineData("filter", """{"name": "brightness", "value": 1.01}""", "parameters.value")]
    [InlineData("filter", """{"name": "brightness"}""", "parameters.value")]
    [InlineData("filter", """{"name": "contrast", "value": -0.1}""", "parameters.value")]
    [InlineData("filter", """{"name": "saturation", "value": 3.5}""", "parameters.value")]
    [InlineData("filter", """{"name": "blur", "radius": 21}""", "parameters.radius")]
    [InlineData("filter", """{"name": "blur", "value": 2}""", "parameters.value")]      // blur takes a radius
    [InlineData("filter", """{"name": "grayscale", "amount": 2}""", "parameters.amount")]
    [InlineData("text_overlay", """{"text": "", "x": 0, "y": 0, "fontSize": 20, "color": "#FFFFFF", "start": 0, "end": 1}""", "parameters.text")]
    [InlineData("text_overlay", """{"text": "   ", "x": 0, "y": 0, "fontSize": 20, "color": "#FFFFFF", "start": 0, "end": 1}""", "parameters.text")]
    [InlineData("text_overlay", """{"text": "a", "x": 1.5, "y": 0, "fontSize": 20, "color": "#FFFFFF", "start": 0, "end": 1}""", "parameters.x")]
    [InlineData("text_overlay", """{"text": "a", "x": 0, "y": -0.1, "fontSize": 20, "color": "#FFFFFF", "start": 0, "end": 1}""", "parameters.y")]
    [InlineData("text_overlay", """{"text": "a", "x": 0, "y": 0, "fontSize": 7, "color": "#FFFFFF", "start": 0, "end": 1}""", "parameters.fontSize")]
    [InlineData("text_overlay", """{"text": "a", "x": 0, "y": 0, "fontSize": 201, "color": "#FFFFFF", "start": 0, "end": 1}""", "parameters.fontSize")]
    [InlineData("text_overlay", """{"text": "a", "x": 0, "y": 0, "fontSize": 20, "color": "#FFF", "start": 0, "end": 1}""", "parameters.color")]
    [InlineData("text_overlay", """{"text": "a", "x": 0, "y": 0, "fontSize": 20, "color": "red", "start": 0, "end": 1}""", "parameters.color")]
    [InlineData("text_overlay", """{"text": "a", "x": 0, "y": 0, "fontSize": 20, "color": "#GG0000", "start": 0, "end": 1}""", "parameters.color")]
    [InlineData("text_overlay", """{"text": "a", "x": 0, "y": 0, "fontSize": 20, "color": "#FFFFFF", "start": 1, "end": 1}""", "parameters.end")]
    [InlineData("text_overlay", """{"text": "a", "x": 0, "y": 0, "fontSize": 20, "color": "#FFFFFF", "start": 0}""", "parameters.end")]
    public void Refuses_bad_parameters_naming_the_member(string editType, string json, string field)
    {
        var errors = new ValidationErrors();

        Assert.Null(EditParameters.Parse(editType, Json(json), errors));

        Assert.Contains(field, errors.ToFailure().Errors!.Keys);
    }

    [Fact]
    public void Refuses_overlay_text_over_200_characters_and_accepts_200()
    {
        static string Overlay(int length) => JsonSerializer.Serialize(new { text = new string('x', length), x = 0, y = 0, fontSize = 20, color = "#FFFFFF", start = 0, end = 1 });

        Assert.NotNull(EditParameters.Parse("text_overlay", Json(Overlay(200)), new ValidationErrors()));
        var errors = new ValidationErrors();
        Assert.Null(EditParameters.Parse("text_overlay", Json(Overlay(201)), errors));
        Assert.Equal(["parameters.text"], errors.ToFailure().Errors!.Keys);
    }

    [Theory]
    [InlineData(null, """{"start": 0, "end": 1}""", "editType")]
    [InlineData("rotate", """{"degrees": 90}""", "editType")]
    [InlineData("trim", "[0, 1]", "parameters")]
    [InlineData("trim", "null", "parameters")]
    public void Refuses_a_missing_or_unknown_type_and_parameters_that_are_not_an_object(string? editType, string json, string field)
    {
        var errors = new ValidationErrors();

        Assert.Null(EditParameters.Parse(editType, Json(json), errors));

        Assert.Contains(field, errors.ToFailure().Errors!.Keys);
    }

    [Fact]
    public void A_trim_may_end_at_the_recordings_end_but_not_past_it()
    {
        Assert.Null(new TrimParameters(0, 12.5m).Check(Video));

        var pastTheEnd = new TrimParameters(0, 12.501m).Check(Video);

        Assert.Equal(FailureKind.Validation, pastTheEnd?.Kind);
        Assert.Equal(["parameters.end"], pastTheEnd!.Errors!.Keys);
    }

    [Fact]
    public void A_crop_must_lie_inside_the_frame_of_a_video()
    {
        Assert.Null(new CropParameters(640, 360, 640, 360).Check(Video));

        var outside = new CropParameters(641, 361, 640, 360).Check(Video);
        Assert.Equal(["parameters.height", "parameters.width"], outside!.Errors!.Keys.Order());

        var onAudio = new CropParameters(0, 0, 10, 10).Check(Audio);
        Assert.Equal(["editType"], onAudio!.Errors!.Keys);

        var frameUnknown = new CropParameters(0, 0, 10, 10).Check(Video with { Width = null });
        Assert.Equal((FailureKind.Conflict, EditFailures.FrameUnknown), (frameUnknown!.Kind, EditFailures.CodeOf(frameUnknown)));
    }

    [Fact]
    public void Filters_and_overlays_need_video_and_overlays_must_end_within_the_recording()
    {
        Assert.Null(new FilterParameters("sepia", 1).Check(Video));
        Assert.Equal(["editType"], new FilterParameters("sepia", 1).Check(Audio)!.Errors!.Keys);

        var overlay = new TextOverlayParameters("Hi", 0, 0, 20, "#FFFFFF", 10, 12.5m);
        Assert.Null(overlay.Check(Video));
        Assert.Equal(["editType"], overlay.Check(Audio)!.Errors!.Keys);
        Assert.Equal(["parameters.end"], (overlay with { End = 13 }).Check(Video)!.Errors!.Keys);
    }

    [Fact]
    public void Time_ranges_cannot_be_checked_without_a_measured_duration()
    {
        var failure = new TrimParameters(0, 1).Check(Video with { Duration = null });

        Assert.Equal((FailureKind.Conflict, EditFailures.DurationUnknown), (failure!.Kind, EditFailures.CodeOf(failure)));
    }

    private static EditParameters Parse(string editType, string json)
    {
        var errors = new ValidationErrors();
        var parsed = EditParameters.Parse(editType, Json(json), errors);
        Assert.False(errors.Any, errors.Any ? string.Join("; ", errors.ToFailure().Errors!.Select(e => $"{e.Key}: {string.Join(' ', e.Value)}")) : "");
        return parsed!;
    }

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
