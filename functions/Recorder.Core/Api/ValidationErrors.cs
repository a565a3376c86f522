using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Recorder.Core.Api;

/// <summary>Collects per-field messages so a client sees every problem of a request at once.</summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> errors = new(StringComparer.Ordinal);

    public bool Any => errors.Count > 0;

    public void Add(string field, string message)
    {
        if (!errors.TryGetValue(field, out var messages))
        {
            errors[field] = messages = [];
        }
        messages.Add(message);
    }

    /// <summary>A string that must be present and not blank, at most <paramref name="maxLength"/> characters once trimmed.</summary>
    public string? RequiredText(string field, string? value, int maxLength)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            Add(field, "is required.");
            return null;
        }
        return OptionalText(field, trimmed, maxLength);
    }

    public string? OptionalText(string field, string? value, int maxLength)
    {
        if (value is not null && value.Length > maxLength)
        {
            Add(field, $"must be at most {maxLength} characters.");
        }
        return value;
    }

    /// <summary>A value from a fixed set; the message lists the allowed values.</summary>
    public string? OneOf(string field, string? value, IReadOnlyCollection<string> allowed, bool required)
    {
        if (value is null)
        {
            if (required)
            {
                Add(field, $"is required: one of {string.Join(", ", allowed)}.");
            }
            return null;
        }
        if (!allowed.Contains(value))
        {
            Add(field, $"must be one of {string.Join(", ", allowed)}.");
            return null;
        }
        return value;
    }

    /// <summary>
    /// An optional JSON object as text ("{}" when absent), at most <paramref name="maxBytes"/>, holding nothing
    /// PostgreSQL's jsonb refuses (<see cref="StorableText"/>, numbers beyond numeric's range), so storing it
    /// can never fail with a 500.
    /// </summary>
    /// <param name="apart">A member with a rule and a size bound of its own (a recording's slide timeline): left out of
    /// the byte count, and checked by its rule once the object is known to be storable.</param>
    public string JsonObject(string field, JsonElement? value, int maxBytes, (string Member, Action<JsonElement> Check)? apart = null)
    {
        if (value is not { ValueKind: not JsonValueKind.Null } element)
        {
            return "{}";
        }
        if (element.ValueKind != JsonValueKind.Object)
        {
            Add(field, "must be a JSON object.");
            return "{}";
        }
        if (!StorableText.IsStorable(element, field, this))
        {
            // Its raw text may not even decode (bytes that are not UTF-8).
            return "{}";
        }
        var text = element.GetRawText();
        var apartBytes = 0;
        if (apart is { } own && element.TryGetProperty(own.Member, out var member))
        {
            own.Check(member);
            apartBytes = Encoding.UTF8.GetByteCount(member.GetRawText());
        }
        if (Encoding.UTF8.GetByteCount(text) - apartBytes > maxBytes)
        {
            Add(field, $"must be at most {maxBytes} bytes of JSON.");
        }
        else if (HasNumberOutOfRange(element))
        {
            Add(field, "holds a number out of range (numbers must fit a double).");
        }
        return text;
    }

    private static bool HasNumberOutOfRange(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().Any(property => HasNumberOutOfRange(property.Value)),
        JsonValueKind.Array => element.EnumerateArray().Any(HasNumberOutOfRange),
        JsonValueKind.Number => !double.TryParse(element.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            || !double.IsFinite(number) || !ExponentWithinRange(element.GetRawText()),
        _ => false,
    };

    // 1e-20000 reads as the double 0 but overflows PostgreSQL's numeric.
    private static bool ExponentWithinRange(string number)
    {
        var e = number.IndexOfAny(['e', 'E']);
        return e < 0
            || (int.TryParse(number.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exponent)
                && exponent is >= -400 and <= 400);
    }

    public Failure ToFailure() => new(
        FailureKind.Validation,
        "The request is not valid.",
        errors.ToDictionary(pair => pair.Key, pair => pair.Value.ToArray(), StringComparer.Ordinal));
}
