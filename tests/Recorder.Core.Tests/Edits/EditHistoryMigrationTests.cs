using Dapper;
using Npgsql;
using Recorder.Core.Migrations;
using Recorder.Core.Tests.Migrations;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Edits;

/// <summary>Migration 010: edits made before it join the history in order, and the schema guards the history's shape.</summary>
public sealed class EditHistoryMigrationTests
{
    private static readonly IReadOnlyList<MigrationScript> Scripts = MigrationScript.LoadDirectory(TestEnvironment.MigrationsDirectory);

    [Fact]
    public async Task Edits_made_before_010_become_applied_in_id_order_and_count_towards_the_version()
    {
        await using var database = await ScratchDatabase.CreateAsync("edits010");
        await database.RunnerMigrateAsync(Scripts.Where(script => string.CompareOrdinal(script.Name, "010") < 0).ToList());
        long first, second;
        await using (var connection = await database.OpenAsync())
        {
            await connection.ExecuteAsync("""
                SET app.user_id = 'u1';
                INSERT INTO users (id, email, password, first_name, last_name) VALUES ('u1', 'u1@example.test', 'x', 'T', 'U');
                INSERT INTO recordings (id, user_id, title, recording_type, file_size, mime_type, blob_name, status)
                VALUES (1, 'u1', 'a', 'camera', 1, 'video/webm', 'u1/1/a.webm', 'completed'), (2, 'u1', 'b', 'camera', 1, 'video/webm', 'u1/2/b.webm', 'completed');
                INSERT INTO recording_edits (recording_id, user_id, edit_type, parameters) VALUES (2, 'u1', 'trim', '{"start": 0, "end": 1}');
                """);
            first = await connection.ExecuteScalarAsync<long>("INSERT INTO recording_edits (recording_id, user_id, edit_type, parameters) VALUES (1, 'u1', 'trim', '{\"start\": 0, \"end\": 1}') RETURNING id");
            second = await connection.ExecuteScalarAsync<long>("INSERT INTO recording_edits (recording_id, user_id, edit_type, parameters) VALUES (1, 'u1', 'crop', '{\"x\": 0, \"y\": 0, \"width\": 1, \"height\": 1}') RETURNING id");
        }

        await database.RunnerMigrateAsync(Scripts);

        await using var migrated = await database.OpenAsync();
        await migrated.ExecuteAsync("SET app.user_id = 'u1'"); // the owner is bound by row-level security too
        Assert.Equal(
            [(first, 1, "applied"), (second, 2, "applied")],
            await migrated.QueryAsync<(long, int, string)>("SELECT id, sequence, state FROM recording_edits WHERE recording_id = 1 ORDER BY sequence"));
        Assert.Equal([(1L, 2L), (2L, 1L)], await migrated.QueryAsync<(long, long)>("SELECT id, edit_version FROM recordings ORDER BY id"));
        Assert.True(await migrated.ExecuteScalarAsync<bool>("SELECT relforcerowsecurity FROM pg_class WHERE relname = 'recording_edits'"));
        Assert.True(await migrated.ExecuteScalarAsync<bool>("SELECT relforcerowsecurity FROM pg_class WHERE relname = 'recordings'"));
    }

    [Fact]
    public async Task The_database_refuses_two_edits_at_one_place_and_a_discard_without_its_time()
    {
        await using var database = await ScratchDatabase.CreateAsync("edits010shape");
        await database.RunnerMigrateAsync(Scripts);
        await using var connection = await database.OpenAsync();
        await connection.ExecuteAsync("""
            SET app.user_id = 'u1';
            INSERT INTO users (id, email, password, first_name, last_name) VALUES ('u1', 'u1@example.test', 'x', 'T', 'U');
            INSERT INTO recordings (id, user_id, title, recording_type, file_size, mime_type, blob_name, status) VALUES (1, 'u1', 'a', 'camera', 1, 'video/webm', 'u1/1/a.webm', 'completed');
            INSERT INTO recording_edits (recording_id, user_id, sequence, edit_type, parameters) VALUES (1, 'u1', 1, 'trim', '{}');
            """);

        var samePlace = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync(
            "INSERT INTO recording_edits (recording_id, user_id, sequence, edit_type, parameters) VALUES (1, 'u1', 1, 'crop', '{}')"));
        Assert.Equal(PostgresErrorCodes.UniqueViolation, samePlace.SqlState);
        var noTime = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("UPDATE recording_edits SET state = 'discarded'"));
        Assert.Equal(PostgresErrorCodes.CheckViolation, noTime.SqlState);
        var badState = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("UPDATE recording_edits SET state = 'redone'"));
        Assert.Equal(PostgresErrorCodes.CheckViolation, badState.SqlState);
    }
}
