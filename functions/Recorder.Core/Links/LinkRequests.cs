using System.Text.RegularExpressions;
using Recorder.Core.Api;

namespace Recorder.Core.Links;

/// <summary>Body of <c>POST /api/recordings/{id}/content</c>.</summary>
public sealed partial class CreateContentRequest
{
    public static readonly IReadOnlyList<string> ContentTypes = ["video", "reel", "short"];

    public string? Platform { get; init; }
    public string? ContentType { get; init; }
    public string? Title { get; init; }
    public string? Description { get; init; }
    public string?[]? Tags { get; init; }

    public ServiceResult<ValidContent> Validate()
    {
        var errors = new ValidationErrors();
        // Lower-cased: "YouTube" and "youtube" are one platform, and one content item per recording.
        var platform = errors.RequiredText("platform", Platform, 50)?.ToLowerInvariant();
        if (platform is not null && !PlatformName().IsMatch(platform))
        {
            errors.Add("platform", "must be a platform name such as youtube, tiktok or instagram (letters, digits, '.', '_', '-').");
        }
        var contentType = errors.OneOf("contentType", ContentType, ContentTypes, required: true);
        var title = LinkText.Title(errors, Title);
        var description = LinkText.Optional(errors, "description", Description, 5000);
        var tags = LinkText.List(errors, "tags", Tags, maxItems: 20, maxLength: 50);
        return errors.Any ? errors.ToFailure() : new ValidContent(platform!, contentType!, title, description, tags);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$")]
    private static partial Regex PlatformName();
}

public sealed record ValidContent(string Platform, string ContentType, string? Title, string? Description, string[]? Tags);

/// <summary>Body of <c>POST /api/recordings/{id}/social-posts</c>.</summary>
public sealed class CreateSocialPostRequest
{
    public static readonly IReadOnlyList<string> ContentTypes = ["post", "reel", "short", "story", "video"];

    public string? Title { get; init; }
    public string? Caption { get; init; }
    public string?[]? Hashtags { get; init; }
    public string? ContentType { get; init; }

    public ServiceResult<ValidSocialPost> Validate()
    {
        var errors = new ValidationErrors();
        var contentType = errors.OneOf("contentType", ContentType, ContentTypes, required: true);
        var title = LinkText.Title(errors, Title);
        var caption = LinkText.Optional(errors, "caption", Caption, 5000);
        var hashtags = LinkText.List(errors, "hashtags", Hashtags, maxItems: 30, maxLength: 100);
        for (var index = 0; index < (Hashtags?.Length ?? 0); index++)
        {
            if (Hashtags![index]?.Trim().Any(char.IsWhiteSpace) == true)
            {
                errors.Add($"hashtags[{index}]", "must be one word, without spaces.");
            }
        }
        return errors.Any ? errors.ToFailure() : new ValidSocialPost(contentType!, title, caption, hashtags);
    }
}

public sealed record ValidSocialPost(string ContentType, string? Title, string? Caption, string[]? Hashtags);

/// <summary>Body of <c>POST /api/recordings/{id}/ai-tasks</c>.</summary>
public sealed class CreateAiTaskRequest
{
    public static readonly IReadOnlyList<string> TaskTypes = ["transcription", "thumbnail", "analysis", "captions"];

    public string? TaskType { get; init; }

    public ServiceResult<string> Validate()
    {
        var errors = new ValidationErrors();
        var taskType = errors.OneOf("taskType", TaskType, TaskTypes, required: true);
        return errors.Any ? errors.ToFailure() : taskType!;
    }
}

/// <summary>Text rules the link bodies share.</summary>
internal static class LinkText
{
    /// <summary>Absent: the recording's title is used. Present: 1–200 characters once trimmed, like a recording's.</summary>
    public static string? Title(ValidationErrors errors, string? title)
        => title is null ? null : errors.RequiredText("title", title, 200)?.Trim();

    /// <summary>Blank counts as absent.</summary>
    public static string? Optional(ValidationErrors errors, string field, string? value, int maxLength)
        => string.IsNullOrWhiteSpace(value) ? null : errors.OptionalText(field, value.Trim(), maxLength);

    /// <summary>Trimmed, non-blank, each at most <paramref name="maxLength"/>; repeats dropped. Absent or empty: null.</summary>
    public static string[]? List(ValidationErrors errors, string field, string?[]? items, int maxItems, int maxLength)
    {
        if (items is null || items.Length == 0)
        {
            return null;
        }
        if (items.Length > maxItems)
        {
            errors.Add(field, $"must hold at most {maxItems} items.");
        }
        for (var index = 0; index < items.Length; index++)
        {
            errors.RequiredText($"{field}[{index}]", items[index], maxLength);
        }
        return items.Select(item => item?.Trim() ?? "").Distinct(StringComparer.Ordinal).ToArray();
    }
}
