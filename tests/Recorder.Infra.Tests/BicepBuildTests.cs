using System.Text.Json.Nodes;
using Recorder.Infra.Tests.Support;
using Xunit;

namespace Recorder.Infra.Tests;

/// <summary>
/// Every .bicep file builds with the pinned Bicep CLI and the linter (bicepconfig.json) reports
/// nothing, and the templates document themselves: a description on every parameter and output.
/// </summary>
[Collection(BicepCollection.Name)]
public sealed class BicepBuildTests(BicepFixture bicep)
{
    public static TheoryData<string> BicepFiles() => new(Repository.BicepFiles());

    [Fact]
    public void The_build_and_the_linter_succeed()
    {
        Assert.True(bicep.Build.ExitCode == 0, bicep.Build.Describe());
        Assert.True(bicep.Lint.ExitCode == 0, bicep.Lint.Describe());
    }

    [Fact]
    public void Nothing_is_reported_at_all()
        => Assert.True(bicep.Diagnostics.Count == 0, string.Join('\n', bicep.Diagnostics));

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void Each_file_compiles_without_warnings_or_errors(string file)
    {
        Assert.Empty(bicep.DiagnosticsFor(file));
        Assert.NotNull(bicep.Compiled(file).Root["$schema"]);
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void Every_parameter_and_output_has_a_description(string file)
    {
        var undocumented = bicep.Compiled(file).SelfAndNested()
            .SelectMany(template => Undocumented(template, "parameter", template.Parameters)
                .Concat(Undocumented(template, "output", template.Outputs)))
            .ToList();

        Assert.True(undocumented.Count == 0, "Without @description: " + string.Join(", ", undocumented));
    }

    [Fact]
    public void The_templates_cover_the_main_template_and_its_modules()
    {
        var files = Repository.BicepFiles();
        Assert.Contains("main.bicep", files);
        Assert.All(
            ["monitoring", "identity", "key-vault", "storage-account", "eventgrid-system-topic", "eventgrid-subscription", "postgres", "container-apps", "alerts", "roles"],
            module => Assert.Contains($"modules/{module}.bicep", files));
    }

    [Fact]
    public void Modules_are_local_files_never_registry_references()
    {
        foreach (var file in Repository.BicepFiles())
        {
            var text = File.ReadAllText(Path.Combine(Repository.BicepDirectory, file));
            var references = System.Text.RegularExpressions.Regex.Matches(text, @"^\s*module\s+\w+\s+'([^']+)'", System.Text.RegularExpressions.RegexOptions.Multiline);
            Assert.All(references, reference => Assert.Matches(@"^modules/[\w-]+\.bicep$", reference.Groups[1].Value));
        }
    }

    [Fact]
    public void The_linter_keeps_its_security_rules_at_error_level()
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.BicepDirectory, "bicepconfig.json")))!;
        var core = config["analyzers"]!["core"]!;
        Assert.True(Json.IsTrue(core["enabled"]));
        Assert.All(
            [
                "outputs-should-not-contain-secrets",
                "secure-parameter-default",
                "secure-secrets-in-params",
                "use-secure-value-for-secure-inputs",
                "protect-commandtoexecute-secrets",
                "no-hardcoded-env-urls",
                "no-unused-params",
                "no-unused-vars",
                "use-resource-symbol-reference",
                "use-stable-resource-identifiers",
            ],
            rule => Assert.Equal("error", Json.Text(core["rules"]![rule]?["level"])));
    }

    private static IEnumerable<string> Undocumented(ArmTemplate template, string kind, JsonObject declarations)
        => declarations
            .Where(declaration => string.IsNullOrWhiteSpace(Json.Text(declaration.Value?["metadata"]?["description"])))
            .Select(declaration => $"{template.Path} {kind} {declaration.Key}");
}
