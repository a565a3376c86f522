using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;
using Recorder.Infra.Tests.Support;
using Xunit;

namespace Recorder.Infra.Tests;

/// <summary>
/// The azd hooks do what docs/deploy.md says, run with bash against stand-ins for az, azd, dotnet, psql and the
/// recorder CLI that record their calls: migrations and the identity mapping after provisioning, the Event Grid
/// subscription (from eventgrid-subscription.bicep, key as a secure parameter) after deploying. The identity
/// mapping's SQL runs against PostgreSQL in IdentityMappingTests.
/// </summary>
[Collection(BicepCollection.Name)]
public sealed partial class HookScriptTests(BicepFixture bicep)
{
    private const string Token = "entra-access-token-value";
    private const string StoredKey = "stored-function-key-value";

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

    [Theory]
    [InlineData("false")]                 // set -e
    [InlineData("echo \"$UNSET_NAME\"")] // set -u
    [InlineData("false | true")]          // set -o pipefail
    public async Task A_hook_using_the_shared_library_stops_at_a_failure_and_still_cleans_up(string failure)
    {
        using var sandbox = new HookSandbox();
        await File.WriteAllTextAsync(Path.Combine(sandbox.Root, "infra", "hooks", "probe.sh"), $$"""
            #!/usr/bin/env bash
            source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
            make_private_tmp
            echo "$PRIVATE_TMP" >private-tmp
            stat -c %a "$PRIVATE_TMP" >private-tmp-mode
            on_exit "echo first >>cleanup"
            on_exit "echo second >>cleanup"
            {{failure}}
            touch went-on
            """);

        var result = await sandbox.RunAsync("probe.sh", new Dictionary<string, string>());

        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.False(File.Exists(Path.Combine(sandbox.Root, "went-on")), "the hook went on after the failure");
        Assert.Equal("second\nfirst\n", await File.ReadAllTextAsync(Path.Combine(sandbox.Root, "cleanup")));
        Assert.Equal("700", (await File.ReadAllTextAsync(Path.Combine(sandbox.Root, "private-tmp-mode"))).Trim());
        Assert.False(Directory.Exists((await File.ReadAllTextAsync(Path.Combine(sandbox.Root, "private-tmp"))).Trim()), "the private temporary folder outlived the hook");
    }

    [Fact]
    public async Task Postdeploy_creates_the_function_key_and_subscribes_the_webhook_with_it_through_the_subscription_template()
    {
        using var sandbox = PostdeploySandbox(
            keysList: [new(""), new($$"""{ "keys": [ { "name": "default", "value": "other" }, { "name": "eventgrid", "value": "{{StoredKey}}" } ] }""")]);

        var result = await sandbox.RunAsync("postdeploy.sh", PostdeployEnvironment);

        Assert.True(result.ExitCode == 0, result.Describe());
        var calls = sandbox.Calls().Where(call => call.Command == "az").ToList();
        Assert.Equal(
            ["containerapp function keys list --help", "containerapp function show", "containerapp function keys list", "containerapp function keys set",
             "containerapp function keys list", "deployment group create", "eventgrid system-topic event-subscription show"],
            calls.Select(CommandWords));
        var set = Assert.Single(calls, call => call.Is("az", "containerapp function keys set"));
        Assert.Equal(("rg-test", "ca-functions", "functionKey", "BlobCreatedWebhook", "eventgrid"),
            (set.Option("--resource-group"), set.Option("--name"), set.Option("--key-type"), set.Option("--function-name"), set.Option("--key-name")));
        Assert.Matches("^[0-9a-f]{64}$", set.Option("--key-value"));
        AssertSubscribedWithKey(sandbox, result, StoredKey);
    }

    [Fact]
    public async Task Postdeploy_keeps_an_existing_function_key()
    {
        using var sandbox = PostdeploySandbox(keysList: [new($$"""[ { "name": "eventgrid", "value": "{{StoredKey}}" } ]""")]);

        var result = await sandbox.RunAsync("postdeploy.sh", PostdeployEnvironment);

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.DoesNotContain(sandbox.Calls(), call => call.Is("az", "containerapp function keys set"));
        AssertSubscribedWithKey(sandbox, result, StoredKey);
    }

    [Fact]
    public async Task Postdeploy_fails_when_the_subscription_is_not_provisioned()
    {
        using var sandbox = PostdeploySandbox(keysList: [new($$"""[ { "name": "eventgrid", "value": "{{StoredKey}}" } ]""")], subscriptionState: "Failed");

        var result = await sandbox.RunAsync("postdeploy.sh", PostdeployEnvironment);

        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.Contains("event subscription is Failed", result.StandardError, StringComparison.Ordinal);
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
    public async Task Postprovision_migrates_as_the_Entra_administrator_with_a_token_maps_the_identity_and_closes_the_firewall()
    {
        using var sandbox = PostprovisionSandbox();

        var result = await sandbox.RunAsync("postprovision.sh", PostprovisionEnvironment);

        Assert.True(result.ExitCode == 0, result.Describe());
        var calls = sandbox.Calls();
        Assert.Equal(["az postgres", "az account", "dotnet publish", "recorder migrate", "psql --no-psqlrc", "az postgres"], calls.Select(call => call.Command + " " + call.Arguments[0]));
        var (open, close) = (calls[0], calls[^1]);
        Assert.True(open.Is("az", "postgres flexible-server firewall-rule create"), open.Line);
        Assert.True(close.Is("az", "postgres flexible-server firewall-rule delete"), close.Line);
        Assert.Matches("^azd-migrate-[0-9]{14}$", open.Option("--rule-name"));
        Assert.Equal(("203.0.113.7", "203.0.113.7"), (open.Option("--start-ip-address"), open.Option("--end-ip-address")));
        Assert.Equal((open.Option("--resource-group"), open.Option("--name"), open.Option("--rule-name")), (close.Option("--resource-group"), close.Option("--name"), close.Option("--rule-name")));
        Assert.Equal(("rg-test", "psql-test"), (open.Option("--resource-group"), open.Option("--name")));
        Assert.Equal("account get-access-token --resource-type oss-rdbms --query accessToken -o tsv", calls[1].Line);
        Assert.Equal("publish functions/Recorder.Cli -c Release -o functions/Recorder.Cli/bin/publish --nologo", calls[2].Line);

        var migrate = calls[3];
        Assert.Equal("migrate --migrations functions/Recorder.Cli/bin/publish/migrations", migrate.Line);
        var connection = new NpgsqlConnectionStringBuilder(migrate.Environment["Database__MigratorConnectionString"]);
        Assert.Equal(("psql-test.postgres.database.azure.com", 5432, "recorder", "admin@example.test", Token, SslMode.VerifyFull),
            (connection.Host, connection.Port, connection.Database, connection.Username, connection.Password, connection.SslMode));

        var psql = calls[4];
        Assert.Equal(("psql-test.postgres.database.azure.com", "postgres", "admin@example.test", "infra/hooks/sql/map-app-identity.sql"),
            (psql.Option("--host"), psql.Option("--dbname"), psql.Option("--username"), psql.Option("--file")));
        Assert.True(File.Exists(Repository.File(psql.Option("--file")!)));
        Assert.Equal(
            ["identity_name=id-recorder-test", "identity_object_id=11111111-2222-3333-4444-555555555555"],
            psql.Arguments.Select((argument, index) => (argument, index)).Where(pair => pair.index > 0 && psql.Arguments[pair.index - 1] == "--set").Select(pair => pair.argument));
        Assert.Equal((Token, "require"), (psql.Environment["PGPASSWORD"], psql.Environment["PGSSLMODE"]));

        // The token travels in the environment only: never on a command line, never in the log.
        Assert.All(calls, call => Assert.DoesNotContain(Token, call.Line, StringComparison.Ordinal));
        Assert.DoesNotContain(Token, result.StandardOutput + result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Postprovision_of_a_restored_server_replays_the_erasure_ledger_since_the_restore_point_after_migrating()
    {
        using var sandbox = PostprovisionSandbox();
        var environment = new Dictionary<string, string>(PostprovisionEnvironment)
        {
            ["RECORDER_RESTORED_AT"] = "2026-03-01T04:05:06Z",
            ["RECORDINGS_STORAGE_ACCOUNT_NAME"] = "sttest",
            ["ERASURE_LEDGER_CONTAINER"] = "erasure-ledger",
        };

        var result = await sandbox.RunAsync("postprovision.sh", environment);

        Assert.True(result.ExitCode == 0, result.Describe());
        var calls = sandbox.Calls();
        Assert.Equal(
            ["az postgres", "az account", "dotnet publish", "recorder migrate", "psql --no-psqlrc", "recorder replay-erasures", "az postgres"],
            calls.Select(call => call.Command + " " + call.Arguments[0]));
        var replay = calls[5];
        Assert.Equal("replay-erasures --since 2026-03-01T04:05:06Z", replay.Line);
        var connection = new NpgsqlConnectionStringBuilder(replay.Environment["Database__MaintenanceConnectionString"]);
        Assert.Equal(("psql-test.postgres.database.azure.com", "recorder", "admin@example.test", Token, "-c role=recorder_maintenance"),
            (connection.Host, connection.Database, connection.Username, connection.Password, connection.Options));
        Assert.Equal("https://sttest.blob.core.windows.net/", replay.Environment["RecordingsStorage__blobServiceUri"]);
        Assert.Equal("erasure-ledger", replay.Environment["Storage__ErasureLedgerContainer"]);
        Assert.DoesNotContain(Token, result.StandardOutput + result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Postprovision_fails_when_the_replay_fails_and_still_closes_the_firewall()
    {
        using var sandbox = PostprovisionSandbox().Answer("recorder", "replay-erasures*", new StubAnswer("ledger unreadable", 1));
        var environment = new Dictionary<string, string>(PostprovisionEnvironment)
        {
            ["RECORDER_RESTORED_AT"] = "2026-03-01T04:05:06Z",
            ["RECORDINGS_STORAGE_ACCOUNT_NAME"] = "sttest",
        };

        var result = await sandbox.RunAsync("postprovision.sh", environment);

        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.True(sandbox.Calls()[^1].Is("az", "postgres flexible-server firewall-rule delete"), sandbox.Calls()[^1].Line);
    }

    [Fact]
    public async Task Postprovision_closes_the_firewall_even_when_the_migration_fails()
    {
        using var sandbox = PostprovisionSandbox().Answer("recorder", "migrate*", new StubAnswer("Migration 014 failed", 1));

        var result = await sandbox.RunAsync("postprovision.sh", PostprovisionEnvironment);

        Assert.True(result.ExitCode != 0, result.Describe());
        var calls = sandbox.Calls();
        Assert.DoesNotContain(calls, call => call.Command == "psql");
        Assert.True(calls[^1].Is("az", "postgres flexible-server firewall-rule delete"), calls[^1].Line);
    }

    [Fact]
    public async Task Postprovision_does_nothing_when_told_to_skip_migrations()
    {
        using var sandbox = PostprovisionSandbox();

        var result = await sandbox.RunAsync("postprovision.sh", new Dictionary<string, string>(PostprovisionEnvironment) { ["RECORDER_SKIP_MIGRATIONS"] = "true" });

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Empty(sandbox.Calls());
    }

    [Theory]
    [InlineData("user", "User", "ada@example.test")]
    [InlineData("servicePrincipal", "ServicePrincipal", "sp-deployer")]
    public async Task Preprovision_names_the_signed_in_principal_as_the_PostgreSQL_administrator(string accountType, string principalType, string principalName)
    {
        using var sandbox = new HookSandbox()
            .Stub("azd")
            .Answer("az", "account show --query user.type -o tsv", new StubAnswer(accountType + "\n"))
            .Answer("az", "ad signed-in-user show --query userPrincipalName -o tsv", new StubAnswer("ada@example.test\n"))
            .Answer("az", "ad signed-in-user show --query id -o tsv", new StubAnswer("object-id-of-principal\n"))
            .Answer("az", "account show --query user.name -o tsv", new StubAnswer("app-id-of-principal\n"))
            .Answer("az", "ad sp show --id app-id-of-principal --query displayName -o tsv", new StubAnswer("sp-deployer\n"))
            .Answer("az", "ad sp show --id app-id-of-principal --query id -o tsv", new StubAnswer("object-id-of-principal\n"))
            .Answer("azd", "auth token --output json", new StubAnswer($$"""{"token":"{{AzureStandIns.AccessToken("object-id-of-principal")}}"}"""));

        var result = await sandbox.RunAsync("preprovision.sh", PreprovisionEnvironment);

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Equal(
            [$"env set AZURE_PRINCIPAL_NAME {principalName}", $"env set AZURE_PRINCIPAL_TYPE {principalType}"],
            sandbox.Calls().Where(call => call.Is("azd", "env set") && call.Line.Contains("_PRINCIPAL_", StringComparison.Ordinal)).Select(call => call.Line));
        Assert.All(sandbox.Calls(), call => Assert.DoesNotContain("first-provision-secret", call.Line, StringComparison.Ordinal));
        Assert.DoesNotContain("first-provision-secret", result.StandardOutput + result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preprovision_refuses_a_first_provision_without_the_app_secrets()
    {
        using var sandbox = new HookSandbox().Stub("az").Stub("azd");
        var environment = new Dictionary<string, string>(PreprovisionEnvironment) { ["AZURE_PRINCIPAL_NAME"] = "ada@example.test", ["AZURE_PRINCIPAL_ID"] = "object-id" };
        environment.Remove("RECORDER_JWT_HMAC_SECRET");

        var result = await sandbox.RunAsync("preprovision.sh", environment);

        Assert.True(result.ExitCode != 0, result.Describe());
        Assert.Contains("RECORDER_JWT_HMAC_SECRET", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(sandbox.Calls());

        // Once Key Vault exists (a later provision) the secrets are not needed.
        sandbox.SignedIn("object-id", "object-id");
        var later = await sandbox.RunAsync("preprovision.sh", new Dictionary<string, string>(environment) { ["AZURE_KEY_VAULT_NAME"] = "kv-test" });
        Assert.True(later.ExitCode == 0, later.Describe());
    }

    [Theory]
    [InlineData("postprovision.sh")]
    [InlineData("deploy-functions.sh")]
    [InlineData("verify-scale-rules.sh")]
    [InlineData("postdeploy.sh")]
    public async Task Hooks_read_only_values_the_template_outputs_or_azd_provides(string hook)
    {
        using var sandbox = new HookSandbox().Stub("az").Stub("azd").Stub("dotnet").Stub("psql").Stub("curl");

        // With an empty environment the hook names every value it requires, and stops.
        var result = await sandbox.RunAsync(hook, new Dictionary<string, string>());

        Assert.True(result.ExitCode != 0, result.Describe());
        var required = MissingValues().Match(result.StandardError).Groups["names"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(required);
        var provided = bicep.Main.Outputs.Select(output => output.Key)
            .Concat(["AZURE_PRINCIPAL_ID", "AZURE_PRINCIPAL_NAME", "AZURE_ENV_NAME", "AZURE_SUBSCRIPTION_ID"]) // azd's own
            .ToHashSet(StringComparer.Ordinal);
        Assert.All(required, name => Assert.True(provided.Contains(name), $"{hook} needs {name}, which neither main.bicep outputs nor azd provides"));
        Assert.Empty(sandbox.Calls());
    }

    private static readonly Dictionary<string, string> PostdeployEnvironment = new()
    {
        ["AZURE_RESOURCE_GROUP"] = "rg-test",
        ["SERVICE_FUNCTIONS_NAME"] = "ca-functions",
        ["SERVICE_FUNCTIONS_URI"] = "https://ca-functions.example.test/",
        ["EVENTGRID_SYSTEM_TOPIC_NAME"] = "evgt-test",
        ["RECORDINGS_STORAGE_ACCOUNT_ID"] = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-test/providers/Microsoft.Storage/storageAccounts/sttest",
        ["RECORDINGS_UPLOADS_CONTAINER"] = "recordings-uploads",
        ["RECORDINGS_DEADLETTER_CONTAINER"] = "recordings-deadletter",
    };

    private static readonly Dictionary<string, string> PostprovisionEnvironment = new()
    {
        ["AZURE_RESOURCE_GROUP"] = "rg-test",
        ["POSTGRES_SERVER_NAME"] = "psql-test",
        ["POSTGRES_HOST"] = "psql-test.postgres.database.azure.com",
        ["POSTGRES_DATABASE_NAME"] = "recorder",
        ["POSTGRES_ADMIN_PRINCIPAL_NAME"] = "admin@example.test",
        ["APP_IDENTITY_NAME"] = "id-recorder-test",
        ["APP_IDENTITY_PRINCIPAL_ID"] = "11111111-2222-3333-4444-555555555555",
        ["RECORDER_CLIENT_IP"] = "203.0.113.7",
    };

    private static readonly Dictionary<string, string> PreprovisionEnvironment = new()
    {
        ["RECORDER_ALERT_EMAIL"] = "ops@example.test",
        ["RECORDER_JWT_ISSUER"] = "https://app.example.test",
        ["RECORDER_SESSION_SECRET"] = "first-provision-secret-session",
        ["RECORDER_JWT_HMAC_SECRET"] = "first-provision-secret-jwt",
    };

    private static HookSandbox PostdeploySandbox(StubAnswer[] keysList, string subscriptionState = "Succeeded")
        => new HookSandbox()
            .Answer("az", "containerapp function keys list *--key-type functionKey*", keysList)
            .Answer("az", "eventgrid system-topic event-subscription show *", new StubAnswer(subscriptionState + "\n"));

    // The recorder CLI is where the hook publishes it; the curl stand-in fails: RECORDER_CLIENT_IP makes it unneeded.
    private static HookSandbox PostprovisionSandbox()
        => new HookSandbox()
            .Stub("dotnet").Stub("psql").Stub("recorder", "functions/Recorder.Cli/bin/publish/recorder")
            .Answer("curl", "*", new StubAnswer("", 7))
            .Answer("az", "account get-access-token *", new StubAnswer(Token + "\n"));

    // The subscription deployed from the Bicep module, its parameters in a private file that is gone afterwards,
    // the webhook URL with the function key in it, and the key nowhere else: no command line, no log.
    private static void AssertSubscribedWithKey(HookSandbox sandbox, ProcessResult result, string key)
    {
        var calls = sandbox.Calls();
        var deploy = Assert.Single(calls, call => call.Is("az", "deployment group create"));
        Assert.Equal(("rg-test", "infra/bicep/modules/eventgrid-subscription.bicep"), (deploy.Option("--resource-group"), deploy.Option("--template-file")));
        Assert.True(File.Exists(Repository.File(deploy.Option("--template-file")!)));
        var parametersFile = deploy.Option("--parameters")!;
        Assert.StartsWith("@", parametersFile, StringComparison.Ordinal);
        var (content, folderMode) = sandbox.Captured(Path.GetFileName(parametersFile[1..]));
        Assert.Equal("700", folderMode);
        Assert.False(File.Exists(parametersFile[1..]), "the parameters file outlived the hook");
        using var parameters = JsonDocument.Parse(content);
        string Value(string name) => parameters.RootElement.GetProperty("parameters").GetProperty(name).GetProperty("value").GetString()!;
        Assert.Equal($"https://ca-functions.example.test/api/events/blob-created?code={key}", Value("webhookUrl"));
        Assert.Equal(
            ("evgt-test", "recordings-uploads-blob-created", PostdeployEnvironment["RECORDINGS_STORAGE_ACCOUNT_ID"], "recordings-uploads", "recordings-deadletter"),
            (Value("systemTopicName"), Value("subscriptionName"), Value("storageAccountId"), Value("uploadsContainerName"), Value("deadLetterContainerName")));
        var show = Assert.Single(calls, call => call.Is("az", "eventgrid system-topic event-subscription show"));
        Assert.Equal(("evgt-test", "recordings-uploads-blob-created"), (show.Option("--system-topic-name"), show.Option("--name")));
        Assert.All(calls, call => Assert.DoesNotContain(key, call.Line, StringComparison.Ordinal));
        Assert.DoesNotContain(key, result.StandardOutput + result.StandardError, StringComparison.Ordinal);
    }

    // The words of a command up to its first option, and --help when asked.
    private static string CommandWords(StubCall call)
    {
        var end = call.Line.IndexOf(" --", StringComparison.Ordinal);
        var words = end < 0 ? call.Line : call.Line[..end];
        return call.Arguments.Contains("--help") ? words + " --help" : words;
    }

    [GeneratedRegex("missing azd environment values: (?<names>[A-Z0-9_ ]+)")]
    private static partial Regex MissingValues();
}
