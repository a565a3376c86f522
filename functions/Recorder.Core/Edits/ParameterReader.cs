using System.Text.Json;
using Recorder.Core.Api;

namespace Recorder.Core.Edits;

/// <summary>
/// Reads the members of a JSON object (an edit's <c>parameters</c>, an entry of a slide timeline), reporting each
/// problem under <c>&lt;path&gt;.&lt;member&gt;</c>; <see cref="RejectUnknown"/> then reports every member nobody read.
/// </summary>
/// <param name="unknownMessage">What is said of a member nobody reads.</param>
internal sealed class ParameterReader(
    JsonElement parameters, ValidationErrors errors, string path = "parameters",
    string unknownMessage = "is not a known parameter of this edit type.")
{
    private readonly HashSet<string> known = new(StringComparer.Ordinal);

    /// <summary>True once any member of this object was reported.</summary>
    public bool Failed { get; private set; }

    /// <summary>
    /// A number within [<paramref name="min"/>, <paramref name="max"/>]; <paramref name="fallback"/> when left out (required when null).
    /// </summary>
    public decimal? Number(string name, decimal min, decimal max, decimal? fallback = null)
    {
        if (!TryGet(name, out var member))
        {
            if (fallback is null)
            {
                Fail(name, "is required.");
            }
            return fallback;
        }
        if (member.ValueKind != JsonValueKind.Number || !member.TryGetDecimal(out var number))
        {
            Fail(name, "must be a number.");
            return null;
        }
        if (number < min || number > max)
        {
            Fail(name, $"must be from {min} to {max}.");
            return null;
        }
        return number;
    }

    public int? Integer(string name, int min, int max)
    {
        if (!TryGet(name, out var member))
        {
            Fail(name, "is required.");
            return null;
        }
        if (member.ValueKind != JsonValueKind.Number || !member.TryGetInt32(out var number))
        {
            Fail(name, "must be a whole number.");
            return null;
        }
        if (number < min || number > max)
        {
            Fail(name, $"must be a whole number from {min} to {max}.");
            return null;
        }
        return number;
    }

    public string? Text(string name)
    {
        if (!TryGet(name, out var member))
        {
            Fail(name, "is required.");
            return null;
        }
        if (member.ValueKind != JsonValueKind.String)
        {
            Fail(name, "must be a string.");
            return null;
        }
        return member.GetString();
    }

    /// <summary>The array <paramref name="name"/>, required.</summary>
    public JsonElement? Array(string name)
    {
        if (!TryGet(name, out var member))
        {
            Fail(name, "is required.");
            return null;
        }
        if (member.ValueKind != JsonValueKind.Array)
        {
            Fail(name, "must be an array.");
            return null;
        }
        return member;
    }

    /// <summary>Members that are not reported as unknown although nobody reads them.</summary>
    public void Allow(IEnumerable<string> names) => known.UnionWith(names);

    public void Fail(string name, string message)
    {
        Failed = true;
        errors.Add(path + "." + name, message);
    }

    /// <summary>A member no reader asked for, or one given twice, is a client bug worth a 400.</summary>
    public void RejectUnknown()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in parameters.EnumerateObject())
        {
            if (!known.Contains(member.Name))
            {
                Fail(member.Name, unknownMessage);
            }
            else if (!seen.Add(member.Name))
            {
                Fail(member.Name, "is given more than once.");
            }
        }
    }

    private bool TryGet(string name, out JsonElement member)
    {
        known.Add(name);
        return parameters.TryGetProperty(name, out member);
    }
}
