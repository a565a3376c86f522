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

    public Failure ToFailure() => new(
        FailureKind.Validation,
        "The request is not valid.",
        errors.ToDictionary(pair => pair.Key, pair => pair.Value.ToArray(), StringComparer.Ordinal));
}
