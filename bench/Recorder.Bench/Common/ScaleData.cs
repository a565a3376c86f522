using System.Diagnostics;
using Dapper;
using Npgsql;
using Recorder.Testing.Data;

namespace Recorder.Bench.Common;

/// <summary>
/// The database benchmark's data at scale (tests/Recorder.Testing/Data/RealisticData.sql) loaded into a benchmark's
/// own database as a restore would: the database and mixed-load benchmarks both run on it.
/// </summary>
public static class ScaleData
{
    // The recorder tables the bulk load fills, whose foreign keys and user triggers it holds off.
    private static readonly string[] LoadedTables = ["recordings", "recording_sessions", "recording_edits", "user_storage_limits"];

    /// <summary>
    /// Fills the run's migrated database with <paramref name="recordings"/> recordings across <paramref name="users"/> users
    /// (RealisticData.sql), indexes and keys dropped for the load and built again; the seconds it took.
    /// </summary>
    public static async Task<double> GenerateAsync(BenchServices services, int users, int recordings, Action<string> note)
    {
        var stopwatch = Stopwatch.StartNew();
        await using var connection = new NpgsqlConnection(BenchServices.ConnectionString(services.Database, pooling: false));
        await connection.OpenAsync();
        // Secondary indexes are dropped for the load and built again afterwards, as a restore would.
        var indexes = (await connection.QueryAsync<(string Name, string Definition)>(
            """
            SELECT indexname, indexdef FROM pg_indexes
            WHERE schemaname = 'public' AND tablename IN ('recordings', 'recording_sessions', 'recording_edits')
              AND indexname NOT IN (SELECT conname FROM pg_constraint)
            """)).AsList();
        foreach (var (name, _) in indexes)
        {
            await connection.ExecuteAsync($"DROP INDEX {name}");
        }
        await connection.ExecuteAsync("ALTER TABLE recordings DROP CONSTRAINT recordings_blob_name_key");
        // So are the foreign keys and the insert trigger (the data is consistent by construction): the owner, no
        // superuser (as Azure's administrator is not), may not SET session_replication_role = replica.
        var foreignKeys = (await connection.QueryAsync<(string Table, string Name, string Definition)>(
            """
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE contype = 'f' AND conparentid = 0 AND conrelid = ANY (@LoadedTables::regclass[])
            """, new { LoadedTables })).AsList();
        foreach (var (table, name, _) in foreignKeys)
        {
            await connection.ExecuteAsync($"ALTER TABLE {table} DROP CONSTRAINT {name}");
        }
        foreach (var table in LoadedTables)
        {
            await connection.ExecuteAsync($"ALTER TABLE {table} DISABLE TRIGGER USER");
        }

        // Every user's recorder rows go in as recorder_maintenance, since row-level security binds the owner; the
        // main app's users and the sequence are the owner's.
        await using var maintenance = new NpgsqlConnection(
            BenchServices.ConnectionString(services.Database, "recorder_maintenance", pooling: false));
        await maintenance.OpenAsync();
        await connection.ExecuteAsync("SET synchronous_commit = off");
        await maintenance.ExecuteAsync("SET synchronous_commit = off");
        foreach (var statement in RealisticData.Statements(users, recordings))
        {
            var step = Stopwatch.StartNew();
            var ownersStatement = statement.StartsWith("INSERT INTO users ", StringComparison.Ordinal)
                || statement.StartsWith("SELECT setval(", StringComparison.Ordinal);
            await (ownersStatement ? connection : maintenance).ExecuteAsync(new CommandDefinition(statement, commandTimeout: 0));
            note($"{statement.Split('\n')[0]} … {step.Elapsed.TotalSeconds:0.0} s");
        }
        foreach (var table in LoadedTables)
        {
            await connection.ExecuteAsync($"ALTER TABLE {table} ENABLE TRIGGER USER");
        }
        // The per-user usage of migration 034, which its (held-off) triggers keep: figured once, as the migration does,
        // with FORCEd row security lifted for the owner inside the transaction only.
        await connection.ExecuteAsync(new CommandDefinition(
            """
            BEGIN;
            ALTER TABLE recordings NO FORCE ROW LEVEL SECURITY;
            INSERT INTO user_storage_usage (user_id, used_bytes, recordings)
              SELECT user_id, sum(file_size), count(*) FROM recordings WHERE status IN ('uploading', 'processing', 'completed')
              GROUP BY user_id;
            ALTER TABLE recordings FORCE ROW LEVEL SECURITY;
            COMMIT;
            """, commandTimeout: 0));
        await connection.ExecuteAsync("SET maintenance_work_mem = '1GB'; SET max_parallel_maintenance_workers = 1");
        foreach (var (name, definition) in indexes)
        {
            var step = Stopwatch.StartNew();
            // pg_indexes gives a partitioned table's index as "ON ONLY", which would leave its partitions without one.
            await connection.ExecuteAsync(
                new CommandDefinition(definition.Replace(" ON ONLY ", " ON ", StringComparison.Ordinal), commandTimeout: 0));
            note($"index {name} … {step.Elapsed.TotalSeconds:0.0} s");
        }
        await connection.ExecuteAsync(new CommandDefinition(
            "ALTER TABLE recordings ADD CONSTRAINT recordings_blob_name_key UNIQUE (blob_name)", commandTimeout: 0));
        // Validated as the owner, whom FORCEd row-level security shows no recorder rows: only the keys of the
        // partitions (no row security of their own) are checked row by row; the data is consistent by construction.
        foreach (var (table, name, definition) in foreignKeys)
        {
            var step = Stopwatch.StartNew();
            await connection.ExecuteAsync(
                new CommandDefinition($"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}", commandTimeout: 0));
            note($"foreign key {name} … {step.Elapsed.TotalSeconds:0.0} s");
        }
        var vacuum = Stopwatch.StartNew();
        await connection.ExecuteAsync(new CommandDefinition(
            "VACUUM (ANALYZE) recordings, recording_sessions, recording_edits, users, user_storage_limits, user_storage_usage",
            commandTimeout: 0));
        note($"vacuum analyze … {vacuum.Elapsed.TotalSeconds:0.0} s");
        return stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>Rows and sizes of the loaded tables, recordings per user, expired recordings, the database's size.</summary>
    public static async Task<string> DescribeAsync(NpgsqlDataSource maintenance)
    {
        await using var connection = await maintenance.OpenConnectionAsync();
        var rows = await connection.QueryAsync<(string Table, long Rows, string Size)>(
            """
            SELECT t.relname, t.reltuples::bigint, pg_size_pretty(pg_total_relation_size(t.oid))
            FROM pg_class AS t
            WHERE t.relname IN ('users', 'recordings', 'recording_sessions_default', 'recording_edits', 'user_storage_limits')
              AND t.relkind = 'r'
            ORDER BY t.relname
            """);
        var skew = await connection.QuerySingleAsync<(long Max, long P99, long Median, long Min)>(
            """
            SELECT max(n), percentile_disc(0.99) WITHIN GROUP (ORDER BY n), percentile_disc(0.5) WITHIN GROUP (ORDER BY n), min(n)
            FROM (SELECT count(*) AS n FROM recordings GROUP BY user_id) AS per_user
            """);
        var expired = await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM recordings WHERE status = 'completed' AND created_at < now() - interval '365 days'");
        var database = await connection.ExecuteScalarAsync<string>("SELECT pg_size_pretty(pg_database_size(current_database()))");
        return string.Join('\n', rows.Select(r => $"{r.Table,-28} {r.Rows,12:N0} rows {r.Size,10}"))
            + $"\nrecordings per user: max {skew.Max:N0}, p99 {skew.P99:N0}, median {skew.Median:N0}, min {skew.Min:N0}"
            + $"\ncompleted and past 365 days: {expired:N0}\ndatabase size: {database}";
    }
}
