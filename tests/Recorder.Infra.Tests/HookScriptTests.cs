using System.Text.RegularExpressions;
using Recorder.Infra.Tests.Support;
using Xunit;

namespace Recorder.Infra.Tests;

/// <summary>
/// The azd hooks do what docs/deploy.md says: migrations and the identity mapping after provisioning,
/// the Event Grid subscription (from eventgrid-subscription.bicep, key as a secure parameter) after
/// deploying, and the publish step the Dockerfile depends on.
/// </summary>
public sealed class HookScriptTests
{
    public static TheoryData<string> Scripts() => new(
        Directory.EnumerateFiles(Repository.HooksDirectory, "*.sh").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task Each_script_is_executable_strict_bash(string script)
    {
        var path = Path.Combine(Repository.HooksDirectory, script);
        var text = await File.ReadAllTextAsync(path);
        Assert.StartsWith("#!/usr/bin/env bash\n", text, StringComparison.Ordinal);
        Assert.True(OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0, $"{script} is not executable");
        Assert.True(
            text.Contains("set -euo pipefail", StringComparison.Ordinal) || text.Contains("source \"$(dirname \"${BASH_SOURCE[0]}\")/lib.sh\"", StringComparison.Ordinal),
            $"{script} neither sets strict mode nor sources lib.sh (which does)");

        var syntax = await ProcessRunner.RunAsync("bash", ["-n", path], Repository.Root, TimeSpan.FromSeconds(30));
        Assert.True(syntax.ExitCode == 0, syntax.Describe());
    }

    [Fact]
    public void The_shared_library_is_strict_and_cleans_up()
    {
        var lib = Repository.ReadText("infra", "hooks", "lib.sh");
        Assert.Contains("set -euo pipefail", lib, StringComparison.Ordinal);
        Assert.Contains("trap run_cleanup EXIT", lib, StringComparison.Ordinal);
        Assert.Contains("umask 077", lib, StringComparison.Ordinal);
    }

    [Fact]
    public void Postdeploy_subscribes_the_webhook_with_its_function_key_through_the_subscription_template()
    {
        var script = Repository.ReadText("infra", "hooks", "postdeploy.sh");

        Assert.Contains("readonly FUNCTION_NAME=BlobCreatedWebhook", script, StringComparison.Ordinal);
        Assert.Contains("readonly WEBHOOK_ROUTE=api/events/blob-created", script, StringComparison.Ordinal);
        Assert.Contains("az containerapp function keys list", script, StringComparison.Ordinal);
        Assert.Contains("--key-type functionKey", script, StringComparison.Ordinal);
        Assert.Contains("az containerapp function keys set", script, StringComparison.Ordinal);
        Assert.Contains("az deployment group create", script, StringComparison.Ordinal);
        Assert.Contains("--template-file infra/bicep/modules/eventgrid-subscription.bicep", script, StringComparison.Ordinal);
        Assert.True(File.Exists(Repository.File("infra", "bicep", "modules", "eventgrid-subscription.bicep")));
        Assert.Contains("webhookUrl: { value: $ENV.WEBHOOK_URL }", script, StringComparison.Ordinal);
        Assert.Contains("make_private_tmp", script, StringComparison.Ordinal);
        Assert.Contains("--parameters \"@$parameters_file\"", script, StringComparison.Ordinal);
        Assert.Contains("az eventgrid system-topic event-subscription show", script, StringComparison.Ordinal);

        // The key never reaches the log.
        Assert.DoesNotMatch(@"(log|echo|printf)[^\n]*\$\{?key\b", script);
        Assert.DoesNotMatch(@"(log|echo|printf)[^\n]*WEBHOOK_URL", script);
    }

    [Fact]
    public void The_webhook_the_hook_targets_is_the_apps_event_grid_function()
    {
        var function = Repository.ReadText("functions", "Recorder.Functions", "Events", "BlobCreatedWebhook.cs");
        Assert.Contains("[Function(nameof(BlobCreatedWebhook))]", function, StringComparison.Ordinal);
        Assert.Contains("AuthorizationLevel.Function", function, StringComparison.Ordinal);
        Assert.Contains("Route = \"events/blob-created\"", function, StringComparison.Ordinal);
        Assert.Contains("\"routePrefix\": \"api\"", Repository.ReadText("host.json"), StringComparison.Ordinal);
    }

    [Fact]
    public void Postprovision_migrates_as_the_Entra_administrator_with_a_token_and_maps_the_identity()
    {
        var script = Repository.ReadText("infra", "hooks", "postprovision.sh");

        Assert.Contains("az account get-access-token --resource-type oss-rdbms", script, StringComparison.Ordinal);
        Assert.Contains("dotnet publish functions/Recorder.Cli", script, StringComparison.Ordinal);
        Assert.Matches(@"""\$CLI_DIR/recorder"" migrate", script);
        Assert.Contains("Database__MigratorConnectionString=", script, StringComparison.Ordinal);
        Assert.Contains("Username=$POSTGRES_ADMIN_PRINCIPAL_NAME;Password=$PGPASSWORD", script, StringComparison.Ordinal);
        Assert.Contains("--file infra/hooks/sql/map-app-identity.sql", script, StringComparison.Ordinal);
        Assert.Contains("firewall-rule create", script, StringComparison.Ordinal);
        Assert.Contains("firewall-rule delete", script, StringComparison.Ordinal);
        // The token is passed in the environment, never on a command line or in the log.
        Assert.DoesNotMatch(@"--connection", script);
        Assert.DoesNotMatch(@"(log|echo|printf)[^\n]*PGPASSWORD", script);
    }

    [Fact]
    public void The_identity_mapping_grants_the_roles_migration_006_creates()
    {
        var sql = Repository.ReadText("infra", "hooks", "sql", "map-app-identity.sql");
        var migration = Repository.ReadText("migrations", "006_add_app_roles.sql");

        Assert.Contains("pgaadauth_create_principal_with_oid(:'identity_name', :'identity_object_id', 'service', false, false)", sql, StringComparison.Ordinal);
        foreach (var role in new[] { "recorder_app", "recorder_maintenance" })
        {
            Assert.Matches($@"CREATE ROLE {role}\b", migration);
            Assert.Contains($"GRANT {role} TO :\"identity_name\" WITH INHERIT FALSE, SET TRUE;", sql, StringComparison.Ordinal);
            Assert.Contains($"Options=-c role={role}", Repository.ReadText("infra", "bicep", "main.bicep"), StringComparison.Ordinal);
        }
        Assert.Matches(@"CREATE ROLE recorder_maintenance[^;]*\bBYPASSRLS\b", migration);
        Assert.Matches(@"CREATE ROLE recorder_app[^;]*\bNOBYPASSRLS\b", migration);
    }

    [Fact]
    public void Preprovision_names_the_PostgreSQL_administrator_and_demands_the_first_secrets()
    {
        var script = Repository.ReadText("infra", "hooks", "preprovision.sh");
        Assert.Contains("azd env set AZURE_PRINCIPAL_NAME", script, StringComparison.Ordinal);
        Assert.Contains("RECORDER_SESSION_SECRET", script, StringComparison.Ordinal);
        Assert.Contains("RECORDER_JWT_HMAC_SECRET", script, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(log|echo|printf)[^\n]*\$\{?RECORDER_(SESSION|JWT_HMAC)_SECRET", script);
    }

    [Fact]
    public void Hooks_read_only_values_the_template_outputs_or_azd_provides()
    {
        var main = Repository.ReadText("infra", "bicep", "main.bicep");
        var outputs = Regex.Matches(main, @"^output ([A-Z0-9_]+) ", RegexOptions.Multiline).Select(match => match.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var provided = new HashSet<string>(StringComparer.Ordinal) { "AZURE_PRINCIPAL_ID", "AZURE_PRINCIPAL_NAME", "AZURE_ENV_NAME", "AZURE_SUBSCRIPTION_ID" };

        foreach (var script in new[] { "postprovision.sh", "postdeploy.sh" })
        {
            var text = Repository.ReadText("infra", "hooks", script);
            var required = Regex.Match(text, @"require_env ((?:[A-Z0-9_]+\s*\\?\s*)+)").Groups[1].Value
                .Split([' ', '\\', '\n'], StringSplitOptions.RemoveEmptyEntries);
            Assert.NotEmpty(required);
            Assert.All(required, name => Assert.True(outputs.Contains(name) || provided.Contains(name), $"{script} needs {name}, which main.bicep does not output"));
        }
    }
}
