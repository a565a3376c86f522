using Dapper;
using Npgsql;
using Recorder.Core.Migrations;
using Recorder.Core.Tests.Migrations;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Privacy;

/// <summary>
/// Migration 027 on a non-superuser owner: an erasure open when 021 ran reads every dead letter, which 021's own
/// update, bound by row-level security, failed to give it; one opened after 021 keeps the window it set itself.
/// </summary>
public sealed class ErasureWindowMigrationTests
{
    private static readonly IReadOnlyList<MigrationScript> Scripts = MigrationScript.LoadDirectory(TestEnvironment.MigrationsDirectory);

    [Fact]
    public async Task An_erasure_open_before_021_reads_every_dead_letter_and_a_later_one_keeps_its_own_window()
    {
        await using var database = await ScratchDatabase.CreateAsync("erasure027");
        await database.RunnerMigrateAsync(Before("021"));
        await OpenErasureAsync(database, "before-021");

        await database.RunnerMigrateAsync(Before("022"));
        await OpenErasureAsync(database, "after-021"); // no recording: its window is NULL

        await database.RunnerMigrateAsync(Scripts);

        await using var maintenance = new NpgsqlConnection(TestDatabases.ConnectionString(database.Name, TestDatabases.MaintenanceRole, pooling: false));
        var windows = (await maintenance.QueryAsync<(string, DateTime?)>(
            "SELECT user_id, dead_letters_since FROM privacy_erasures ORDER BY user_id")).ToList();
        Assert.Equal([("after-021", (DateTime?)null), ("before-021", DateTime.MinValue)], windows);
    }

    [Fact]
    public async Task Maintenance_cannot_read_the_main_apps_sessions()
    {
        await using var database = await ScratchDatabase.CreateAsync("sessions027");
        await database.RunnerMigrateAsync(Scripts);
        await using var maintenance = new NpgsqlConnection(TestDatabases.ConnectionString(database.Name, TestDatabases.MaintenanceRole, pooling: false));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => maintenance.ExecuteScalarAsync<long>("SELECT count(*) FROM sessions"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
    }

    private static List<MigrationScript> Before(string number)
        => Scripts.Where(script => string.CompareOrdinal(script.Name, number) < 0).ToList();

    // An erasure as the app left it; the table's row-level security is lifted for the seeding alone, as an operator
    // reproducing an old database would (the owner has no policy on it, and maintenance none before 025).
    private static async Task OpenErasureAsync(ScratchDatabase database, string userId)
    {
        await using var owner = await database.OpenAsync();
        await using var transaction = await owner.BeginTransactionAsync();
        await owner.ExecuteAsync(
            "INSERT INTO users (id, email, password, first_name, last_name) VALUES (@userId, @userId || '@example.test', 'x', 'T', 'U')",
            new { userId }, transaction);
        await owner.ExecuteAsync("ALTER TABLE privacy_erasures NO FORCE ROW LEVEL SECURITY", transaction: transaction);
        await owner.ExecuteAsync(
            "INSERT INTO privacy_erasures (user_id, subject_hash, requested_by) VALUES (@userId, repeat('a', 64), 'user')", new { userId }, transaction);
        await owner.ExecuteAsync("ALTER TABLE privacy_erasures FORCE ROW LEVEL SECURITY", transaction: transaction);
        await transaction.CommitAsync();
    }
}
