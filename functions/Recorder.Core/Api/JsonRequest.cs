using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Recorder.Core.Api;

/// <summary>
/// Reads a JSON request body into a request type, answering every malformed input as a 4xx
/// failure: wrong content type (415), too large (413), not JSON, text PostgreSQL cannot store
/// (<see cref="StorableText"/>), wrong types or unknown properties (400, naming the property).
/// </summary>
public static class JsonRequest
{
    /// <summary>Bodies of this API are small; this is well above any legitimate one (metadata is bounded separately).</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public static readonly JsonSerializerOptions SerializerOptions = new(JsonSerializerDefaults.Web)
    {
        // A misspelt property is a client bug worth a 400, not a silently ignored field.
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.Strict,
        AllowTrailingCommas = false,
        ReadCommentHandling = JsonCommentHandling.Disallow,
    };

    public static async Task<ServiceResult<T>> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        if (!IsJson(request.ContentType))
        {
            return new Failure(FailureKind.UnsupportedMediaType, "The body must be JSON (Content-Type: application/json).");
        }
        if (request.ContentLength > MaxBodyBytes)
        {
            return TooLarge();
        }

        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return TooLarge();
            }
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0)
        {
            return new Failure(FailureKind.Validation, "The request body is empty; a JSON object is expected.");
        }

        var json = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        // Before binding, so it covers every string a request type holds, JsonElement members included; binding
        // would also refuse a lone surrogate in a string member, as a misleading "wrong type".
        if (StorableText.ProblemsIn(json) is { } unstorable)
        {
            return unstorable;
        }
        try
        {
            return JsonSerializer.Deserialize<T>(json.Span, SerializerOptions) is { } value
                ? value
                : new Failure(FailureKind.Validation, "The request body must be a JSON object, not null.");
        }
        catch (JsonException exception)
        {
            var field = FieldOf(exception.Path);
            return field is null
                ? new Failure(FailureKind.Validation, "The request body is not valid JSON.")
                : Failure.Invalid(field,
                    exception.Message.Contains("could not be mapped", StringComparison.Ordinal) ? "is not a known property."
                        : "has the wrong type or format.");
        }
    }

    /// <summary><see cref="ReadAsync{T}"/> for a body a call may leave out: null when the request carries none.</summary>
    public static async Task<ServiceResult<T?>> ReadOptionalAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        if (request.ContentLength == 0 || request.ContentLength is null && !request.Headers.ContainsKey(HeaderNames.TransferEncoding))
        {
            return (T?)null;
        }
        var body = await ReadAsync<T>(request, cancellationToken);
        return body.Failure is { } failure ? failure : body.Value;
    }

    /// <summary>The body read as <typeparamref name="T"/>, then checked by <paramref name="validate"/>.</summary>
    public static async Task<ServiceResult<TValid>> ReadAsync<T, TValid>(
        HttpRequest request, Func<T, ServiceResult<TValid>> validate, CancellationToken cancellationToken)
        where T : class
    {
        var body = await ReadAsync<T>(request, cancellationToken);
        return body.Failure is { } failure ? failure : validate(body.Value!);
    }

    private static Failure TooLarge() => new(FailureKind.PayloadTooLarge, $"The request body is larger than {MaxBodyBytes} bytes.");

    private static bool IsJson(string? contentType)
        => MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
           && (mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
               || mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase));

    // "$.metadata.device" → "metadata.device"; "$" → null.
    private static string? FieldOf(string? path)
        => path is null || path == "$" ? null : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
}
