using System.Text.Json;

namespace Recorder.Core.Api;

/// <summary>
/// The one rule for text a request may carry: text PostgreSQL can store. Its text and jsonb types refuse
/// U+0000, and an unpaired UTF-16 surrogate has no UTF-8 form to send; either would fail a write as a 500.
/// </summary>
public static class StorableText
{
    public const string NulProblem = "must not contain NUL characters (\\u0000): PostgreSQL cannot store them.";

    public const string NotUnicodeProblem = "must be valid Unicode: an unpaired UTF-16 surrogate (such as \\ud800), " +
        "or bytes that are not UTF-8, cannot be stored.";

    /// <summary>Why <paramref name="text"/> cannot be stored, or null when it can.</summary>
    public static string? ProblemOf(ReadOnlySpan<char> text)
        => text.Contains('\0') ? NulProblem : HasUnpairedSurrogate(text) ? NotUnicodeProblem : null;

    /// <summary>
    /// Every string of a JSON document that cannot be stored, values and property names alike, each under its
    /// field path (<c>tags[1]</c>, <c>metadata.device</c>; a property name under the object holding it, <c>body</c>
    /// at the top). Null when there is none, or when the document is not JSON at all (its reader reports that).
    /// </summary>
    public static Failure? ProblemsIn(ReadOnlyMemory<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
        using (document)
        {
            var errors = new ValidationErrors();
            return IsStorable(document.RootElement, "", errors) ? null : errors.ToFailure();
        }
    }

    /// <summary>
    /// Whether every string in <paramref name="value"/> can be stored; reports each one that cannot under its path
    /// below <paramref name="path"/> ("" for a whole body).
    /// </summary>
    public static bool IsStorable(JsonElement value, string path, ValidationErrors errors)
    {
        var storable = true;
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    if (ProblemOf(() => property.Name) is { } problem)
                    {
                        errors.Add(FieldOf(path), "property names " + problem);
                        storable = false;
                    }
                    else
                    {
                        storable &= IsStorable(property.Value, path.Length == 0 ? property.Name : $"{path}.{property.Name}", errors);
                    }
                }
                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    storable &= IsStorable(item, $"{path}[{index++}]", errors);
                }
                break;
            case JsonValueKind.String when ProblemOf(() => value.GetString()!) is { } problem:
                errors.Add(FieldOf(path), problem);
                storable = false;
                break;
        }
        return storable;
    }

    private static string FieldOf(string path) => path.Length == 0 ? "body" : path;

    private static string? ProblemOf(Func<string> decode)
    {
        try
        {
            return ProblemOf(decode());
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json refuses to decode an unpaired surrogate escape ("\ud800") or bytes that are not UTF-8.
            return NotUnicodeProblem;
        }
    }

    private static bool HasUnpairedSurrogate(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }
        return false;
    }
}
