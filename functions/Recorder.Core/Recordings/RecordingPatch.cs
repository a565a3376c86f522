using System.Text.Json;
using Recorder.Core.Api;

namespace Recorder.Core.Recordings;

/// <summary>
/// Body of <c>PATCH /api/recordings/{id}</c> (merge-patch style): a property left out stays as it is;
/// <c>description</c> and <c>projectId</c> may be set to null to clear them, <c>slides</c> (the slide timeline, kept
/// in <c>metadata.slides</c>) to remove it.
/// </summary>
/// <param name="Slides">The timeline's JSON as sent, checked by <see cref="SlideTimeline"/>; null removes it.</param>
public sealed record RecordingPatch(
    bool SetTitle, string? Title,
    bool SetDescription, string? Description,
    bool SetProjectId, int? ProjectId,
    bool SetQuality, string? Quality,
    bool SetSlides = false, string? Slides = null)
{
    public IReadOnlyList<string> ChangedFields =>
        new[]
        {
            (SetTitle, "title"), (SetDescription, "description"), (SetProjectId, "projectId"), (SetQuality, "quality"),
            (SetSlides, SlideTimeline.MetadataMember),
        }.Where(change => change.Item1).Select(change => change.Item2).ToList();

    /// <param name="maxSlidesBytes">The timeline's size bound, the metadata's (<see cref="RecordingsOptions.MaxMetadataBytes"/>).</param>
    public static ServiceResult<RecordingPatch> Parse(IReadOnlyDictionary<string, JsonElement> body, int maxSlidesBytes)
    {
        var errors = new ValidationErrors();
        foreach (var unknown in body.Keys.Where(key => key is not ("title" or "description" or "projectId" or "quality" or "slides")))
        {
            errors.Add(unknown, "is not a property you can change (title, description, projectId, quality, slides).");
        }
        if (body.Count == 0)
        {
            errors.Add("body", "names nothing to change.");
        }

        string? title = null, description = null, quality = null;
        int? projectId = null;
        if (body.TryGetValue("title", out var titleValue))
        {
            title = errors.RequiredText("title", StringOrNull("title", titleValue, errors), 200)?.Trim();
        }
        if (body.TryGetValue("description", out var descriptionValue) && StringOrNull("description", descriptionValue, errors) is { } text)
        {
            description = string.IsNullOrWhiteSpace(errors.OptionalText("description", text, 5000)) ? null : text.Trim();
        }
        if (body.TryGetValue("projectId", out var projectValue) && projectValue.ValueKind != JsonValueKind.Null)
        {
            if (projectValue.ValueKind == JsonValueKind.Number && projectValue.TryGetInt32(out var id) && id > 0)
            {
                projectId = id;
            }
            else
            {
                errors.Add("projectId", "must be a positive id or null.");
            }
        }
        if (body.TryGetValue("quality", out var qualityValue))
        {
            quality = errors.OneOf("quality", StringOrNull("quality", qualityValue, errors), RecordingTypes.Qualities, required: true);
        }
        string? slides = null;
        if (body.TryGetValue(SlideTimeline.MetadataMember, out var slidesValue) && slidesValue.ValueKind != JsonValueKind.Null
            && SlideTimeline.Parse(slidesValue, SlideTimeline.MetadataMember, maxSlidesBytes, errors) is not null)
        {
            slides = slidesValue.GetRawText();
        }

        return errors.Any
            ? errors.ToFailure()
            : new RecordingPatch(
                body.ContainsKey("title"), title,
                body.ContainsKey("description"), description,
                body.ContainsKey("projectId"), projectId,
                body.ContainsKey("quality"), quality,
                body.ContainsKey(SlideTimeline.MetadataMember), slides);
    }

    private static string? StringOrNull(string field, JsonElement value, ValidationErrors errors)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return value.GetString();
            case JsonValueKind.Null:
                return null;
            default:
                errors.Add(field, "must be a string.");
                return null;
        }
    }
}
