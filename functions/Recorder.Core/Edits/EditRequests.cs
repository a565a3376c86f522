using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Recorder.Core.Api;

namespace Recorder.Core.Edits;

/// <summary>Body of <c>POST /api/recordings/{id}/edits</c>.</summary>
public sealed class CreateEditRequest
{
    public string? EditType { get; init; }
    public JsonElement? Parameters { get; init; }
    public long? BaseVersion { get; init; }
}

/// <summary>Optional body of <c>POST …/edits/undo</c> and <c>…/redo</c> (the version may come as If-Match instead).</summary>
public sealed class EditVersionRequest
{
    public long? BaseVersion { get; init; }
}

/// <summary>A validated edit and the recording edit version it was based on.</summary>
public sealed record EditCommand(EditParameters Parameters, long BaseVersion);

/// <summary>
/// Reads what a change of the history names: the edit, and the version it is based on — the body's
/// <c>baseVersion</c>, or an <c>If-Match: "&lt;version&gt;"</c> header (the ETag of the last response).
/// One of them is required; both may be sent if they agree.
/// </summary>
public static class EditRequests
{
    public static async Task<ServiceResult<EditCommand>> ReadEditAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var body = await JsonRequest.ReadAsync<CreateEditRequest>(request, cancellationToken);
        if (body.Failure is { } invalid)
        {
            return invalid;
        }
        var errors = new ValidationErrors();
        var parameters = EditParameters.Parse(body.Value!.EditType, body.Value.Parameters, errors);
        var version = BaseVersion(request, body.Value.BaseVersion, errors);
        return errors.Any ? errors.ToFailure() : new EditCommand(parameters!, version!.Value);
    }

    public static async Task<ServiceResult<long>> ReadBaseVersionAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        long? fromBody = null;
        if (request.ContentLength > 0 || !string.IsNullOrEmpty(request.ContentType))
        {
            var body = await JsonRequest.ReadAsync<EditVersionRequest>(request, cancellationToken);
            if (body.Failure is { } invalid)
            {
                return invalid;
            }
            fromBody = body.Value!.BaseVersion;
        }
        var errors = new ValidationErrors();
        var version = BaseVersion(request, fromBody, errors);
        return errors.Any ? errors.ToFailure() : version!.Value;
    }

    private static long? BaseVersion(HttpRequest request, long? fromBody, ValidationErrors errors)
    {
        long? fromHeader = null;
        if (request.Headers.IfMatch.Count > 0)
        {
            if (request.Headers.IfMatch is [{ } tag] && VersionTag.TryParse(tag, out var parsed))
            {
                fromHeader = parsed;
            }
            else
            {
                errors.Add("If-Match", "must be one entity tag \"<version>\", as the ETag of the last response.");
                return null;
            }
        }
        if (fromBody is < 0)
        {
            errors.Add("baseVersion", "must be 0 or more.");
            return null;
        }
        if (fromBody is { } body && fromHeader is { } header && body != header)
        {
            errors.Add("baseVersion", $"differs from If-Match ({header}); send one of them.");
            return null;
        }
        if ((fromBody ?? fromHeader) is not { } version)
        {
            errors.Add("baseVersion", "is required (or an If-Match header): the edit version your change is based on.");
            return null;
        }
        return version;
    }
}

/// <summary>The edit version as an entity tag: <c>"5"</c> (strong; If-Match compares strongly).</summary>
public static class VersionTag
{
    public static string Format(long version) => string.Create(CultureInfo.InvariantCulture, $"\"{version}\"");

    public static bool TryParse(string text, out long version)
    {
        version = 0;
        return text.Length > 2 && text[0] == '"' && text[^1] == '"'
            && long.TryParse(text.AsSpan(1, text.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out version);
    }
}
