using Dapper;
using Npgsql;
using Recorder.Core.Data;
using Recorder.Core.Security;
using Recorder.Core.Tests.Fixtures;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Recordings;

/// <summary>The database itself keeps each user to their own rows, whatever the code above it does.</summary>
public sealed class RowLevelSecurityTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>, IAsyncLifetime
{
    private readonly string alice = "alice-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string bob = "bob-" + Guid.NewGuid().ToString("N")[..8];

    public async Task InitializeAsync()
    {
        // Users as the owner; the recorder's rows as recorder_maintenance, which works across users (the owner is bound too).
        await using var owner = await database.OpenOwnerAsync();
        await using var maintenance = await database.OpenMaintenanceAsync();
        foreach (var user in new[] { alice, bob })
        {
            await owner.ExecuteAsync(
                "INSERT INTO users (id, email, password, first_name, last_name) VALUES (@user, @user || '@example.test', 'x', 'T', 'U')", new { user });
            await maintenance.ExecuteAsync(
                """
                INSERT INTO recordings (user_id, title, recording_type, file_size, mime_type, blob_name) VALUES (@user, 'r', 'camera', 10, 'video/webm', @user || '/1/a.webm');
                INSERT INTO recording_sessions (user_id, recording_type) VALUES (@user, 'camera');
                INSERT INTO audit_log (actor_type, actor_id, user_id, action, outcome) VALUES ('user', @user, @user, 'recording.read', 'success');
                """, new { user });
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("recordings")]
    [InlineData("recording_sessions")]
    [InlineData("audit_log")]
    public async Task With_no_user_set_the_app_role_sees_no_rows(string table)
    {
        await using var app = new NpgsqlConnection(database.AppConnectionString);

        Assert.Equal(0, await app.ExecuteScalarAsync<int>($"SELECT count(*) FROM {table}"));
    }

    [Theory]
    [InlineData("recordings")]
    [InlineData("recording_sessions")]
    [InlineData("audit_log")]
    public async Task The_schema_owner_is_bound_too_and_sees_only_the_user_it_sets(string table)
    {
        // FORCEd row-level security binds the owner, which on Azure is no superuser (nor is it in the tests).
        // Neither user is held, so 026's policies show the owner nothing of theirs.
        var users = new[] { alice, bob };
        await using var owner = await database.OpenOwnerAsync();
        Assert.Equal(0, await owner.ExecuteScalarAsync<int>($"SELECT count(*) FROM {table} WHERE user_id = ANY(@users)", new { users }));

        await using var transaction = await owner.BeginTransactionAsync();
        await owner.ExecuteAsync("SELECT set_config('app.user_id', @alice, true)", new { alice }, transaction);
        Assert.Equal([alice], await owner.QueryAsync<string>(
            $"SELECT DISTINCT user_id FROM {table} WHERE user_id = ANY(@users)", new { users }, transaction));
        var error = await Assert.ThrowsAsync<PostgresException>(() => owner.ExecuteAsync(
            "INSERT INTO recording_sessions (user_id, recording_type) VALUES (@bob, 'camera')", new { bob }, transaction));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState); // new row violates row-level security policy
    }

    [Fact]
    public async Task Interleaved_users_on_one_pooled_connection_each_see_only_their_own()
    {
        // One connection in the pool: every transaction below reuses the same physical connection.
        var builder = new NpgsqlConnectionStringBuilder(database.AppConnectionString) { MaxPoolSize = 1 };
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);

        foreach (var user in new[] { alice, bob, alice, bob })
        {
            var owners = await dataSource.RunAsUserAsync(user, (connection, transaction) =>
                connection.QueryAsync<string>("SELECT DISTINCT user_id FROM recordings", transaction: transaction), CancellationToken.None);
            Assert.Equal([user], owners);
            // Between transactions the setting is gone: a request that forgot to set it sees nothing.
            await using var bare = await dataSource.OpenConnectionAsync();
            Assert.Equal(0, await bare.ExecuteScalarAsync<int>("SELECT count(*) FROM recordings"));
        }
    }

    [Fact]
    public async Task A_user_cannot_write_a_row_for_someone_else()
    {
        await using var dataSource = NpgsqlDataSource.Create(database.AppConnectionString);

        var error = await Assert.ThrowsAsync<PostgresException>(() => dataSource.RunAsUserAsync(alice, (connection, transaction) =>
            connection.ExecuteAsync("INSERT INTO recordings (user_id, title, recording_type, file_size, mime_type, blob_name) VALUES (@bob, 'x', 'camera', 1, 'video/webm', @name)",
                new { bob, name = Guid.NewGuid().ToString() }, transaction), CancellationToken.None));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState); // new row violates row-level security policy
        var moved = await dataSource.RunAsUserAsync(alice, (connection, transaction) =>
            connection.ExecuteAsync("UPDATE recordings SET title = 'taken' WHERE user_id = @bob", new { bob }, transaction), CancellationToken.None);
        Assert.Equal(0, moved);
    }

    [Fact]
    public async Task The_app_role_appends_its_own_audit_entries_but_never_changes_or_removes_one()
    {
        await using var dataSource = NpgsqlDataSource.Create(database.AppConnectionString);

        var visible = await dataSource.RunAsUserAsync(alice, (connection, transaction) =>
            connection.ExecuteScalarAsync<int>("SELECT count(*) FROM audit_log", transaction: transaction), CancellationToken.None);
        Assert.Equal(1, visible);
        foreach (var statement in new[] { "UPDATE audit_log SET outcome = 'failed'", "DELETE FROM audit_log" })
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => dataSource.RunAsUserAsync(alice, (connection, transaction) =>
                connection.ExecuteAsync(statement, transaction: transaction), CancellationToken.None));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        }
        var forged = await Assert.ThrowsAsync<PostgresException>(() => dataSource.RunAsUserAsync(alice, (connection, transaction) =>
            connection.ExecuteAsync("INSERT INTO audit_log (actor_type, actor_id, user_id, action, outcome) VALUES ('user', @bob, @bob, 'recording.read', 'success')", new { bob }, transaction), CancellationToken.None));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, forged.SqlState);
    }

    [Fact]
    public async Task The_app_role_sees_only_whether_its_own_user_is_under_a_legal_hold_and_cannot_change_holds()
    {
        await using (var maintenance = await database.OpenMaintenanceAsync())
        {
            await maintenance.ExecuteAsync(
                "INSERT INTO user_legal_holds (user_id, reason) VALUES (@alice, 'litigation 7') ON CONFLICT DO NOTHING", new { alice });
        }
        await using var dataSource = NpgsqlDataSource.Create(database.AppConnectionString);

        foreach (var (user, expected) in new[] { (alice, new[] { alice }), (bob, Array.Empty<string>()) })
        {
            var seen = await dataSource.RunAsUserAsync(user, (connection, transaction) =>
                connection.QueryAsync<string>("SELECT user_id FROM user_legal_holds", transaction: transaction), CancellationToken.None);
            Assert.Equal(expected, seen);
        }
        // Not the operator's reason, and no writes: holds are placed and lifted by recorder_maintenance only.
        foreach (var statement in new[] { "SELECT reason FROM user_legal_holds", "DELETE FROM user_legal_holds", "INSERT INTO user_legal_holds (user_id) VALUES (@bob)" })
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => dataSource.RunAsUserAsync(alice, (connection, transaction) =>
                connection.ExecuteAsync(statement, new { bob }, transaction), CancellationToken.None));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        }
    }

    [Fact]
    public async Task The_app_refuses_a_role_that_row_level_security_does_not_bind()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new DatabaseOptions
        {
            AppConnectionString = database.OwnerConnectionString,
            MaintenanceConnectionString = database.MaintenanceConnectionString,
        });
        await using var dataSources = new RecorderDataSources(options);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await dataSources.App.OpenConnectionAsync());

        // Azure's administrator is no superuser, but as the owner it could lift the tables' row-level security at will.
        Assert.Contains("connects as role 'recorder_owner', which owns the recorder's tables", error.Message);
        Assert.DoesNotContain("superuser", error.Message);
        Assert.Contains("recorder_app", error.Message);
        await using var appDataSources = database.CreateDataSources();
        await using var fine = await appDataSources.App.OpenConnectionAsync();
        await AppRoleGuard.VerifyAsync(fine);
    }
}
