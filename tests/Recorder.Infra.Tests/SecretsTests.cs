using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Recorder.Infra.Tests.Support;
using Xunit;

namespace Recorder.Infra.Tests;

/// <summary>
/// No secret is written anywhere in the infrastructure: not in the Bicep, the compiled templates,
/// the parameters, the hooks, azure.yaml or the Dockerfile. Secrets enter only as secure parameters
/// (from the azd environment) and leave only as Key Vault references.
/// </summary>
[Collection(BicepCollection.Name)]
public sealed partial class SecretsTests(BicepFixture bicep)
{
    public static TheoryData<string> InfrastructureFiles()
    {
        var files = Repository.BicepFiles().Select(file => $"infra/bicep/{file}")
            .Concat(["infra/bicep/main.parameters.json", "infra/bicep/bicepconfig.json", "infra/bicep/abbreviations.json"])
            .Concat(Directory.EnumerateFiles(Repository.HooksDirectory, "*", SearchOption.AllDirectories)
                .Select(path => Path.GetRelativePath(Repository.Root, path).Replace('\\', '/')))
            .Concat(["azure.yaml", "Dockerfile", ".dockerignore"]);
        return new(files.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(InfrastructureFiles))]
    public void No_secret_looking_literal_in(string file)
        => AssertNoSecrets(file, File.ReadAllText(Repository.File(file)));

    [Theory]
    [MemberData(nameof(CompiledTemplates))]
    public void No_secret_looking_literal_in_the_compiled(string file)
        => AssertNoSecrets($"{file} (compiled)", bicep.CompiledText(file));

    public static TheoryData<string> CompiledTemplates() => new(Repository.BicepFiles());

    [Fact]
    public void The_parameters_file_only_refers_to_environment_values()
    {
        var parameters = JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.BicepDirectory, "main.parameters.json")))!["parameters"]!.AsObject();
        Assert.All(parameters, parameter => Assert.Matches(@"^\$\{[A-Z0-9_]+(=[^}]*)?\}$", Json.Text(parameter.Value!["value"])));
    }

    [Theory]
    [InlineData("authSessionSecret")]
    [InlineData("authJwtHmacSecret")]
    [InlineData("recordingWebhookSecret")]
    public void App_secrets_are_secure_parameters_without_a_value(string parameter)
    {
        var declaration = bicep.Main.Parameters[parameter]!;
        Assert.Equal("securestring", Json.Text(declaration["type"]));
        Assert.Equal("", Json.Text(declaration["defaultValue"]));
        Assert.Equal("secureObject", Json.Text(bicep.Main.Module("key-vault").Parameters["secretValues"]!["type"]));
    }

    [Fact]
    public void Outputs_carry_no_secret()
        => Assert.All(bicep.Main.Outputs, output =>
        {
            Assert.DoesNotMatch("(?i)secret|password|connection_string|sas", output.Key);
            Assert.DoesNotContain("authSessionSecret", Json.Raw(output.Value), StringComparison.Ordinal);
            Assert.DoesNotContain("authJwtHmacSecret", Json.Raw(output.Value), StringComparison.Ordinal);
            Assert.DoesNotContain("recordingWebhookSecret", Json.Raw(output.Value), StringComparison.Ordinal);
        });

    private static void AssertNoSecrets(string file, string text)
    {
        var findings = SecretPatterns
            .SelectMany(pattern => pattern.Matches(text).Select(match => $"{file}: '{match.Value}' ({pattern})"))
            .Concat(HighEntropy().Matches(text).Where(LooksRandom).Select(match => $"{file}: '{match.Value}' (random-looking)"))
            .ToList();
        Assert.True(findings.Count == 0, string.Join('\n', findings));
    }

    private static readonly Regex[] SecretPatterns =
    [
        new(@"AccountKey\s*=", RegexOptions.IgnoreCase),
        new(@"SharedAccessKey\s*=", RegexOptions.IgnoreCase),
        new(@"SharedAccessSignature\s*=", RegexOptions.IgnoreCase),
        new(@"[?&]sig=[A-Za-z0-9%]", RegexOptions.IgnoreCase),
        new(@"-----BEGIN [A-Z ]*PRIVATE KEY", RegexOptions.None),
        new(@"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", RegexOptions.None), // a JWT
        new(@"Password\s*=\s*(?![$""'{;]|\s)", RegexOptions.IgnoreCase), // Password=<literal> in a connection string
        new(@"(password|passwd|pwd)['""]?\s*[:=]\s*['""][^'""$\s{][^'""]*['""]", RegexOptions.IgnoreCase),
        new(@"(secret|hmac|token|apikey|api_key)['""]?\s*[:=]\s*['""][A-Za-z0-9+/=_\-]{12,}['""]", RegexOptions.IgnoreCase),
        new(@"administratorLoginPassword", RegexOptions.IgnoreCase),
        new(@"listKeys\(", RegexOptions.IgnoreCase),
    ];

    /// <summary>Long runs of key-like characters (base64, hex) that mix letters and digits: key material.</summary>
    private static bool LooksRandom(Match match)
    {
        var value = match.Value;
        var digits = value.Count(char.IsDigit);
        var letters = value.Count(char.IsLetter);
        return digits >= 4 && letters >= 8 && value.Any(char.IsUpper) && value.Any(char.IsLower);
    }

    [GeneratedRegex(@"[A-Za-z0-9+/_]{32,}={0,2}")]
    private static partial Regex HighEntropy();
}
