using System.Reflection;
using Npgsql;
using Recorder.Infra.Tests.Support;
using Xunit;

namespace Recorder.Infra.Tests;

/// <summary>
/// infra/hooks/sql/map-app-identity.sql as postprovision.sh runs it: after `recorder migrate`, with psql, as the
/// administrator, which on the test PostgreSQL 17 is the stand-in for Azure's (no superuser, no BYPASSRLS). Then
/// what the mapped identity can and cannot do, as docs/security.md says.
/// </summary>
public sealed class IdentityMappingTests(MappedIdentityDatabase mapped) : IClassFixture<MappedIdentityDatabase>
{
    private string identity => mapped.Identity;
    private string database => mapped.Database;
    private NpgsqlConnectionStringBuilder admin => mapped.Admin;

    [Fact]
    public async Task The_login_may_set_either_app_role_inherits_neither_and_has_no_powers_of_its_own()
    {
        await using var check = await OpenAsync(AsAdmin(database));
        var login = await RowAsync(check, "SELECT rolcanlogin, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1", identity);
        Assert.Equal((true, false, false, false, false), ((bool)login[0], (bool)login[1], (bool)login[2], (bool)login[3], (bool)login[4]));
        foreach (var role in new[] { "recorder_app", "recorder_maintenance" })
        {
            var privileges = await RowAsync(check,
                "SELECT pg_has_role($1::name, $2::name, 'SET'), pg_has_role($1::name, $2::name, 'USAGE'), pg_has_role($1::name, $2::name, 'MEMBER')",
                identity, role);
            Assert.Equal((true, false, true), ((bool)privileges[0], (bool)privileges[1], (bool)privileges[2]));
        }
        Assert.Equal(2L, (long)(await RowAsync(check, "SELECT count(*) FROM pg_auth_members WHERE member = to_regrole($1)", identity))[0]);

        // Without a role the login itself reads nothing: it inherits no privileges.
        await using var bare = await OpenAsync(AsIdentity(role: null));
        Assert.Equal("42501", (await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(bare, "SELECT count(*) FROM recordings"))).SqlState);

        // It may become either app role (each pool does at start-up, main.bicep's connection strings) and nothing else.
        foreach (var role in new[] { "recorder_app", "recorder_maintenance" })
        {
            Assert.Contains($"Options=-c role={role}", Repository.ReadText("infra", "bicep", "main.bicep"), StringComparison.Ordinal);
            await using var pool = await OpenAsync(AsIdentity(role));
            Assert.Equal(role, (string)(await RowAsync(pool, "SELECT current_user"))[0]);
        }
        foreach (var role in new[] { admin.Username!, "azure_pg_admin", "postgres", "pg_read_all_data", "pg_signal_backend" })
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(bare, $"SET ROLE \"{role}\""));
            Assert.Equal("42501", refused.SqlState);
        }
    }

    [Fact]
    public async Task As_recorder_app_it_sees_only_the_rows_of_the_user_set_and_none_without_one()
    {
        await using (var maintenance = await OpenAsync(AsIdentity("recorder_maintenance")))
        {
            // recorder_maintenance writes across users through its policies (migration 025), without BYPASSRLS.
            await ExecuteAsync(maintenance, $"""
                INSERT INTO recordings (user_id, title, recording_type, file_size, mime_type, blob_name)
                VALUES ('{MappedIdentityDatabase.UserA}', 'a', 'audio', 1, 'audio/webm', '{MappedIdentityDatabase.UserA}/{Guid.NewGuid():N}.webm'),
                       ('{MappedIdentityDatabase.UserB}', 'b', 'audio', 1, 'audio/webm', '{MappedIdentityDatabase.UserB}/{Guid.NewGuid():N}.webm')
                """);
            Assert.Equal(2L, (long)(await RowAsync(maintenance, "SELECT count(*) FROM recordings"))[0]);
        }

        await using var app = await OpenAsync(AsIdentity("recorder_app"));
        Assert.Equal(0L, (long)(await RowAsync(app, "SELECT count(*) FROM recordings"))[0]);
        await using var transaction = await app.BeginTransactionAsync();
        await RowAsync(app, "SELECT set_config('app.user_id', $1, true)", MappedIdentityDatabase.UserA);
        Assert.Equal(MappedIdentityDatabase.UserA, (string)(await RowAsync(app, "SELECT string_agg(user_id, ',') FROM recordings"))[0]);
        var foreign = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(app, $"""
            INSERT INTO recordings (user_id, title, recording_type, file_size, mime_type, blob_name)
            VALUES ('{MappedIdentityDatabase.UserB}', 'b2', 'audio', 1, 'audio/webm', '{MappedIdentityDatabase.UserB}/{Guid.NewGuid():N}.webm')
            """));
        Assert.Equal("42501", foreign.SqlState);
    }

    public static TheoryData<string, string> SchemaChanges() => new()
    {
        { "recorder_app", "ALTER POLICY recordings_owner ON recordings USING (true)" },
        { "recorder_app", "DROP POLICY recordings_owner ON recordings" },
        { "recorder_app", "CREATE POLICY everything ON recordings USING (true)" },
        { "recorder_app", "ALTER TABLE recordings NO FORCE ROW LEVEL SECURITY" },
        { "recorder_app", "ALTER TABLE recordings DISABLE ROW LEVEL SECURITY" },
        { "recorder_app", "ALTER ROLE recorder_app BYPASSRLS" },
        { "recorder_maintenance", "ALTER POLICY recordings_maintenance ON recordings TO PUBLIC" },
        { "recorder_maintenance", "DROP POLICY user_legal_holds_maintenance ON user_legal_holds" },
        { "recorder_maintenance", "ALTER TABLE user_legal_holds NO FORCE ROW LEVEL SECURITY" },
        { "recorder_maintenance", "ALTER ROLE recorder_maintenance BYPASSRLS" },
        { "recorder_maintenance", "GRANT recorder_maintenance TO recorder_app" },
    };

    [Theory]
    [MemberData(nameof(SchemaChanges))]
    public async Task Neither_app_role_can_change_row_level_security_or_its_own_powers(string role, string statement)
    {
        await using var pool = await OpenAsync(AsIdentity(role));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(pool, statement));
        Assert.Equal("42501", refused.SqlState);
    }

    private string AsAdmin(string databaseName) => mapped.AsAdmin(databaseName);

    private string AsIdentity(string? role)
        => new NpgsqlConnectionStringBuilder(admin.ConnectionString)
        {
            Database = database, Username = identity, Options = role is null ? null : $"-c role={role}", Pooling = false,
        }.ConnectionString;

    internal static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }

    internal static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    // The one row of a query with positional parameters ($1, $2 …).
    internal static async Task<object[]> RowAsync(NpgsqlConnection connection, string sql, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), sql);
        var values = new object[reader.FieldCount];
        reader.GetValues(values);
        return values;
    }
}

/// <summary>A database migrated by `recorder migrate` and an identity mapped by map-app-identity.sql, as after a deployment.</summary>
public sealed class MappedIdentityDatabase : IAsyncLifetime
{
    public const string UserA = "identity-test-user-a";
    public const string UserB = "identity-test-user-b";

    public string Identity { get; } = "id-recorder-test-" + Guid.NewGuid().ToString("N")[..8];

    public string Database { get; } = "t_identity_mapping_" + Guid.NewGuid().ToString("N");

    public NpgsqlConnectionStringBuilder Admin { get; } = new(AdminConnectionString);

    public string AsAdmin(string databaseName)
        => new NpgsqlConnectionStringBuilder(Admin.ConnectionString) { Database = databaseName, Pooling = false }.ConnectionString;

    private static string Configuration => typeof(MappedIdentityDatabase).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    private static string AdminConnectionString => Environment.GetEnvironmentVariable("RECORDER_TEST_PG_ADMIN")
        ?? throw new InvalidOperationException("RECORDER_TEST_PG_ADMIN is not set: run the tests with scripts/test.sh.");

    public async Task InitializeAsync()
    {
        await using (var connection = await IdentityMappingTests.OpenAsync(Admin.ConnectionString))
        {
            Assert.True(connection.PostgreSqlVersion.Major >= 16, $"GRANT … WITH INHERIT needs PostgreSQL 16+; the test server is {connection.PostgreSqlVersion}");
            var owner = await IdentityMappingTests.RowAsync(connection, "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user");
            Assert.Equal((false, false), ((bool)owner[0], (bool)owner[1]));
            await IdentityMappingTests.ExecuteAsync(connection, $"CREATE DATABASE {Database}");
        }

        var migrate = await ProcessRunner.RunAsync(
            "dotnet", [Repository.File("functions", "Recorder.Cli", "bin", Configuration, "net10.0", "recorder.dll"), "migrate"], Repository.Root,
            TimeSpan.FromMinutes(2), new Dictionary<string, string> { ["Database__MigratorConnectionString"] = AsAdmin(Database) });
        Assert.True(migrate.ExitCode == 0, migrate.Describe());

        await using (var connection = await IdentityMappingTests.OpenAsync(AsAdmin(Database)))
        {
            // Azure's pgaadauth binds a login role to an Entra object id; here, a plain login role stands in.
            await IdentityMappingTests.ExecuteAsync(connection, """
                CREATE FUNCTION pgaadauth_create_principal_with_oid(role_name text, object_id text, principal_type text, is_admin boolean, is_mfa boolean)
                RETURNS text LANGUAGE plpgsql AS $$
                BEGIN
                  EXECUTE format('CREATE ROLE %I LOGIN', role_name);
                  RETURN 'Created role for ' || role_name;
                END
                $$
                """);
            await IdentityMappingTests.ExecuteAsync(connection, $"""
                INSERT INTO users (id, email, password, first_name, last_name)
                VALUES ('{UserA}', '{UserA}@example.test', 'x', 'A', 'A'), ('{UserB}', '{UserB}@example.test', 'x', 'B', 'B')
                """);
        }

        // As postprovision.sh runs it, twice: every deployment runs it again.
        foreach (var run in new[] { 1, 2 })
        {
            var mapping = await ProcessRunner.RunAsync(
                "psql",
                ["--no-psqlrc", "--quiet", "--set", $"identity_name={Identity}", "--set", "identity_object_id=11111111-2222-3333-4444-555555555555",
                 "--file", Repository.File("infra", "hooks", "sql", "map-app-identity.sql")],
                Repository.Root,
                TimeSpan.FromSeconds(60),
                new Dictionary<string, string>
                {
                    ["PGHOST"] = Admin.Host!, ["PGPORT"] = Admin.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["PGUSER"] = Admin.Username!, ["PGDATABASE"] = Database,
                });
            Assert.True(mapping.ExitCode == 0, $"run {run}: {mapping.Describe()}");
        }
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = await IdentityMappingTests.OpenAsync(Admin.ConnectionString);
        await IdentityMappingTests.ExecuteAsync(connection, $"DROP DATABASE IF EXISTS {Database} WITH (FORCE)");
        await IdentityMappingTests.ExecuteAsync(connection, $"DROP ROLE IF EXISTS \"{Identity}\"");
    }
}
