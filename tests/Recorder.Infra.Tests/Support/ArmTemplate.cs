using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Recorder.Infra.Tests.Support;

/// <summary>
/// A compiled ARM template (JSON from `bicep build`), with its modules as nested deployments.
/// Handles both resource layouts: an array (languageVersion 1) and a symbolic-name object (2.0).
/// </summary>
public sealed class ArmTemplate(JsonObject root, string path)
{
    public JsonObject Root => root;

    /// <summary>Where the template sits: the file name, then the nested deployment names.</summary>
    public string Path => path;

    public JsonObject Parameters => root["parameters"] as JsonObject ?? [];

    public JsonObject Outputs => root["outputs"] as JsonObject ?? [];

    public JsonObject Variables => root["variables"] as JsonObject ?? [];

    public IEnumerable<JsonObject> Resources => root["resources"] switch
    {
        JsonArray array => array.OfType<JsonObject>(),
        JsonObject symbolic => symbolic.Select(entry => entry.Value).OfType<JsonObject>(),
        _ => [],
    };

    /// <summary>Deployed resources of a type (`existing` references excluded).</summary>
    public IEnumerable<JsonObject> ResourcesOfType(string type)
        => Resources.Where(resource => string.Equals((string?)resource["type"], type, StringComparison.OrdinalIgnoreCase)
            && !Json.IsTrue(resource["existing"]));

    /// <summary>The module deployed under this deployment name (Bicep: `name:` of the module).</summary>
    public JsonObject Deployment(string name)
        => ResourcesOfType("Microsoft.Resources/deployments").SingleOrDefault(deployment => (string?)deployment["name"] == name)
            ?? throw new KeyNotFoundException($"{Path} deploys no module named '{name}'.");

    public ArmTemplate Module(string deploymentName)
        => new((JsonObject)Deployment(deploymentName)["properties"]!["template"]!, $"{Path} > {deploymentName}");

    /// <summary>The value the parent passes to a module parameter (a literal, or an ARM expression string).</summary>
    public JsonNode? ModuleParameter(string deploymentName, string parameter)
        => Deployment(deploymentName)["properties"]!["parameters"]?[parameter]?["value"];

    /// <summary>This template and every template nested in it, depth first.</summary>
    public IEnumerable<ArmTemplate> SelfAndNested()
    {
        yield return this;
        foreach (var deployment in ResourcesOfType("Microsoft.Resources/deployments"))
        {
            if (deployment["properties"]?["template"] is JsonObject nested)
            {
                foreach (var template in new ArmTemplate(nested, $"{Path} > {deployment["name"]}").SelfAndNested())
                {
                    yield return template;
                }
            }
        }
    }

    /// <summary>The default value of a parameter (literal).</summary>
    public JsonNode? DefaultOf(string parameter)
        => Parameters[parameter]?["defaultValue"] ?? throw new KeyNotFoundException($"{Path}: parameter {parameter} has no default.");

    public static ArmTemplate Load(string file, string displayPath)
        => new((JsonObject)JsonNode.Parse(File.ReadAllText(file))!, displayPath);
}

/// <summary>Small helpers for JSON values in templates.</summary>
public static class Json
{
    private static readonly JsonSerializerOptions Unescaped = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The node as JSON text, with ARM expressions' quotes left readable.</summary>
    public static string Raw(JsonNode? node) => node?.ToJsonString(Unescaped) ?? "null";

    public static bool IsTrue(JsonNode? node) => node is JsonValue value && value.TryGetValue<bool>(out var b) && b;

    public static bool IsFalse(JsonNode? node) => node is JsonValue value && value.TryGetValue<bool>(out var b) && !b;

    public static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;

    public static int? Number(JsonNode? node) => node is JsonValue value && value.TryGetValue<int>(out var n) ? n : null;

    public static IEnumerable<string> Strings(JsonNode? node)
        => node is JsonArray array ? array.Select(Text).OfType<string>() : [];
}
