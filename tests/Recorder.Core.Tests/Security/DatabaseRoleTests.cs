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
