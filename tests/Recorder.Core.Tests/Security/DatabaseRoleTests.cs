using Dapper;
using Npgsql;
using Recorder.Core.Tests.Fixtures;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Security;

/// <summary>The roles the migrations create hold exactly the powers docs/architecture.md gives them.</summary>
public sealed class DatabaseRoleTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>
{
    [Theory]
    [InlineData(TestDatabases.AppRole)]
    [InlineData(TestDatabases.MaintenanceRole)]
    public async Task Roles_are_neither_superusers_nor_owners_and_none_bypasses_row_security(string role)
    {
        await using var connection = await database.OpenOwnerAsync();
        var attributes = await connection.QuerySingleAsync<(bool Super, bool BypassRls, bool CreateRole, bool CreateDb)>(
            "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = @role", new { role });

        Assert.Equal((false, false, false, false), attributes);
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = @role", new { role }));
    }

    [Fact]
    public async Task The_schema_owner_is_no_superuser_and_does_not_bypass_row_security()
    {
        // The tests run as Azure's administrator runs migrations: row-level security they rely on binds it too.
        await using var connection = await database.OpenOwnerAsync();
        var owner = await connection.QuerySingleAsync<(string Name, bool IsCurrentUser, bool Super, bool BypassRls)>(
            """
            SELECT r.rolname, r.rolname = current_user, r.rolsuper, r.rolbypassrls
            FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE c.oid = 'recordings'::regclass
            """);

        Assert.Equal((TestDatabases.OwnerRole, true, false, false), owner);
    }

    [Fact]
    public async Task The_schema_owners_own_policies_only_read_legal_holds_lock_held_users_recordings_and_keep_storage_usage()
    {
        // What SECURITY DEFINER functions need when they run as the owner (025, 026); a wider policy needs a reason here.
        await using var connection = await database.OpenOwnerAsync();
        var policies = await connection.QueryAsync<(string Table, string Policy, string Command, string? Using, string? Check)>(
            """
            SELECT c.relname::text, p.polname::text, p.polcmd::text,
                   pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
            FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
            WHERE p.polroles = ARRAY[(SELECT oid FROM pg_roles WHERE rolname = current_user)]
            ORDER BY 1, 2
            """);

        Assert.Equal(
            [
                ("recordings", "recordings_schema_owner_locks_held", "w", "recorder_user_held(user_id)", "false"),
                ("recordings", "recordings_schema_owner_sees_held", "r", "recorder_user_held(user_id)", null),
                ("user_legal_holds", "user_legal_holds_schema_owner_reads", "r", "true", null),
                // 034: the storage-usage triggers' functions keep every user's figures (nobody else may write them).
                ("user_storage_usage", "user_storage_usage_schema_owner_keeps", "*", "true", "true"),
            ],
            policies);
    }

    [Fact]
    public async Task Every_table_under_row_level_security_forces_it_and_lets_maintenance_reach_every_row()
    {
        // A table added later without a maintenance policy would lock the timers out of it silently.
        await using var connection = await database.OpenOwnerAsync();
        var tables = (await connection.QueryAsync<(string Table, bool Forced, bool MaintenancePolicy)>(
            """
            SELECT c.relname::text, c.relforcerowsecurity,
                   EXISTS (SELECT 1 FROM pg_policy p
                           WHERE p.polrelid = c.oid AND p.polpermissive AND p.polcmd = '*'
                             AND p.polroles = ARRAY[(SELECT oid FROM pg_roles WHERE rolname = @MaintenanceRole)]
                             AND pg_get_expr(p.polqual, p.polrelid) = 'true'
                             AND pg_get_expr(p.polwithcheck, p.polrelid) = 'true')
            FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace AND c.relrowsecurity
            ORDER BY c.relname
            """, new { TestDatabases.MaintenanceRole })).AsList();

        Assert.Contains(tables, table => table.Table == "recordings");
        Assert.All(tables, table => Assert.Equal((table.Table, true, true), (table.Table, table.Forced, table.MaintenancePolicy)));
    }

    [Theory]
    [InlineData("recordings")]
    [InlineData("recording_sessions")]
    [InlineData("audit_log")]
    [InlineData("user_legal_holds")]
    [InlineData("user_storage_limits")]
    public async Task Maintenance_sees_and_writes_every_users_rows_through_its_policies_with_or_without_a_user_set(string table)
    {
        var tables = new AppTables(database);
        var users = new[] { await tables.InsertUserAsync(), await tables.InsertUserAsync() };
        await using var maintenance = await database.OpenMaintenanceAsync();
        foreach (var user in users)
        {
            await maintenance.ExecuteAsync(table switch
            {
                "recordings" => """
                    INSERT INTO recordings (user_id, title, recording_type, file_size, mime_type, blob_name)
                    VALUES (@user, 'r', 'camera', 1, 'video/webm', @user || '/1/a.webm')
                    """,
                "recording_sessions" => "INSERT INTO recording_sessions (user_id, recording_type) VALUES (@user, 'camera')",
                "audit_log" => """
                    INSERT INTO audit_log (actor_type, actor_id, user_id, action, outcome)
                    VALUES ('system', 'test', @user, 'recording.read', 'success')
                    """,
                "user_legal_holds" => "INSERT INTO user_legal_holds (user_id, reason) VALUES (@user, 'test')",
                _ => "INSERT INTO user_storage_limits (user_id, limit_bytes) VALUES (@user, 1)",
            }, new { user });
        }

        var count = $"SELECT count(*) FROM {table} WHERE user_id = ANY(@users)";
        Assert.Equal(2, await maintenance.ExecuteScalarAsync<int>(count, new { users }));
        // A stray user setting (maintenance never sets one) narrows nothing: permissive policies are OR-ed.
        await using var transaction = await maintenance.BeginTransactionAsync();
        await maintenance.ExecuteAsync("SELECT set_config('app.user_id', @user, true)", new { user = users[0] }, transaction);
        Assert.Equal(2, await maintenance.ExecuteScalarAsync<int>(count, new { users }, transaction));
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
        await using var owner = await database.OpenOwnerAsync();
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
