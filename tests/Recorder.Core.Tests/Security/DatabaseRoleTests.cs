using Dapper;
using Npgsql;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Security;

/// <summary>The roles the migrations create hold exactly the powers docs/architecture.md gives them.</summary>
public sealed class DatabaseRoleTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>
{
    [Theory]
    [InlineData(TestDatabases.AppRole, false)]
    [InlineData(TestDatabases.MaintenanceRole, true)]
    public async Task Roles_are_neither_superusers_nor_owners_and_only_maintenance_bypasses_row_security(string role, bool bypassesRowSecurity)
    {
        await using var connection = new NpgsqlConnection(database.OwnerConnectionString);
        var attributes = await connection.QuerySingleAsync<(bool Super, bool BypassRls, bool CreateRole, bool CreateDb)>(
            "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = @role", new { role });

        Assert.Equal((false, bypassesRowSecurity, false, false), attributes);
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = @role", new { role }));
    }

    [Fact]
    public async Task The_app_role_reads_and_writes_recordings_but_cannot_change_the_schema_or_write_the_apps_tables()
    {
        await using var connection = new NpgsqlConnection(database.AppConnectionString);
        await connection.OpenAsync();

        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM recordings WHERE false"));
        var createTable = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("CREATE TABLE intruder (id int)"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, createTable.SqlState);
        var writeUsers = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("UPDATE users SET is_active = false"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, writeUsers.SqlState);
    }

    [Theory]
    [InlineData("SELECT password FROM users")]
    [InlineData("SELECT email FROM users")]
    [InlineData("SELECT * FROM users")]
    [InlineData("SELECT sess FROM sessions")]
    [InlineData("SELECT sid FROM sessions")]
    [InlineData("SELECT count(*) FROM sessions")]
    public async Task The_app_role_cannot_read_password_hashes_personal_data_or_session_contents(string sql)
    {
        await using var app = new NpgsqlConnection(database.AppConnectionString);

        var denied = await Assert.ThrowsAsync<PostgresException>(() => app.ExecuteAsync(sql));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
    }

    [Fact]
    public async Task The_app_role_reads_a_users_id_and_state_and_of_a_session_it_names_only_expiry_and_user()
    {
        var tables = new AppTables(database);
        var userId = await tables.InsertUserAsync(isActive: false);
        var sid = Requests.NewSid();
        await tables.InsertSessionAsync(sid, AppTables.ReplitSess(userId), new DateTime(2031, 1, 15, 12, 0, 0));
        await using var app = new NpgsqlConnection(database.AppConnectionString);

        Assert.Equal((userId, false), await app.QuerySingleAsync<(string, bool)>("SELECT id, is_active FROM users WHERE id = @userId", new { userId }));
        var session = (await app.QueryAsync("SELECT * FROM recorder_session_user(@sid)", new { sid })).Cast<IDictionary<string, object>>().Single();
        Assert.Equal(["expire", "user_id"], session.Keys);
        Assert.Equal((new DateTime(2031, 1, 15, 12, 0, 0), userId), ((DateTime)session["expire"], (string)session["user_id"]));
        Assert.Empty(await app.QueryAsync("SELECT * FROM recorder_session_user('no such session')"));
    }

    [Fact]
    public async Task The_session_lookup_runs_as_its_owner_with_a_fixed_search_path_for_the_app_role_alone()
    {
        await using var owner = new NpgsqlConnection(database.OwnerConnectionString);
        var function = await owner.QuerySingleAsync<(bool SecurityDefiner, string[] Settings)>(
            "SELECT prosecdef, proconfig FROM pg_proc WHERE oid = 'recorder_session_user(varchar)'::regprocedure");
        Assert.True(function.SecurityDefiner);
        Assert.Equal(["search_path=public, pg_temp"], function.Settings);

        var mayExecute = await owner.QueryAsync<string>(
            """
            SELECT r.rolname FROM pg_roles r
            WHERE has_function_privilege(r.oid, 'recorder_session_user(varchar)', 'EXECUTE')
              AND NOT r.rolsuper AND r.rolname NOT LIKE 'pg\_%' AND r.oid <> (SELECT proowner FROM pg_proc WHERE oid = 'recorder_session_user(varchar)'::regprocedure)
            """);
        Assert.Equal([TestDatabases.AppRole], mayExecute);
    }

    [Fact]
    public async Task Only_maintenance_may_create_partitions()
    {
        await using var app = new NpgsqlConnection(database.AppConnectionString);
        var denied = await Assert.ThrowsAsync<PostgresException>(() => app.ExecuteAsync("SELECT recorder_ensure_weekly_partitions('recording_sessions', 1)"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);

        await using var maintenance = new NpgsqlConnection(database.MaintenanceConnectionString);
        Assert.Equal(0, await maintenance.ExecuteScalarAsync<int>("SELECT recorder_ensure_weekly_partitions('recording_sessions', 1)"));
    }
}
