using System.Text.Json;

namespace Recorder.Core.Tests.Fixtures;

/// <summary>One node of a plan: what it does, to which table (as which alias), through which index.</summary>
public sealed record PlanNode(string NodeType, string? RelationName, string? Alias, string? IndexName);

/// <summary>EXPLAIN (FORMAT JSON) of a statement: every node, those of subplans and init plans included.</summary>
public sealed class QueryPlan
{
    private readonly string json;

    public QueryPlan(string json)
    {
        this.json = json;
        using var document = JsonDocument.Parse(json);
        Nodes = Flatten(document.RootElement[0].GetProperty("Plan")).ToList();
    }

    public IReadOnlyList<PlanNode> Nodes { get; }

    /// <summary>
    /// True when the statement reads <paramref name="relation"/> (as <paramref name="alias"/>, when given)
    /// only by index-only scans of <paramref name="index"/>, and reads it at all.
    /// </summary>
    public bool ReadsOnlyByIndexOnlyScan(string relation, string index, string? alias = null)
    {
        var scans = Nodes.Where(node => node.RelationName == relation && (alias is null || node.Alias == alias)).ToList();
        return scans.Count > 0 && scans.All(scan => scan is { NodeType: "Index Only Scan" } && scan.IndexName == index);
    }

    public override string ToString() => json;

    private static IEnumerable<PlanNode> Flatten(JsonElement node)
    {
        yield return new PlanNode(node.GetProperty("Node Type").GetString()!, Text(node, "Relation Name"), Text(node, "Alias"), Text(node, "Index Name"));
        if (node.TryGetProperty("Plans", out var children))
        {
            foreach (var descendant in children.EnumerateArray().SelectMany(Flatten))
            {
                yield return descendant;
            }
        }
    }

    private static string? Text(JsonElement node, string name) => node.TryGetProperty(name, out var value) ? value.GetString() : null;
}
