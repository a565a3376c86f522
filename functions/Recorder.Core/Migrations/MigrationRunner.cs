using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Recorder.Core.Migrations;

public sealed record MigrationResult(IReadOnlyList<string> Applied, int AlreadyApplied);

/// <summary>
/// Applies migrations/ in order as the owner role, one migrator at a time, refusing edited or out-of-order files
/// (docs/architecture.md, "Migrations"; migrations/README.md).
/// </summary>
public sealed class MigrationRunner(NpgsqlDataSource ownerDataSource, ILogger<MigrationRunner> logger)
{
    /// <summary>The advisory lock every migrator of this schema takes ("recorder" in ASCII); visible in pg_locks.</summary>
    public const long LockKey = 0x7265636f72646572;
    private static readonly TimeSpan LockPollInterval = TimeSpan.FromMilliseconds(250);

    public async Task<MigrationResult> MigrateAsync(IReadOnlyList<MigrationScript> scripts, CancellationToken cancellationToken)
    {
        await using var connection = await ownerDataSource.OpenConnectionAsync(cancellationToken);
        await AcquireLockAsync(connection, cancellationToken);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(AppRoles.EnsureSql, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(MigrationJournal.CreateTableSql, cancellationToken: cancellationToken));
            var applied = (await connection.QueryAsync<AppliedMigration>(
                new CommandDefinition(MigrationJournal.ListSql, cancellationToken: cancellationToken)))
                .ToDictionary(m => m.Name, StringComparer.Ordinal);

            VerifyUnchanged(scripts, applied);
            RefuseLateFiles(scripts, applied);

            var newlyApplied = new List<string>();
            foreach (var script in scripts.Where(s => !applied.ContainsKey(s.Name)))
            {
                await ApplyAsync(connection, script, cancellationToken);
                newlyApplied.Add(script.Name);
            }
            return new MigrationResult(newlyApplied, applied.Count);
        }
        finally
        {
            await connection.ExecuteAsync(
                new CommandDefinition("SELECT pg_advisory_unlock(@LockKey)", new { LockKey }, cancellationToken: CancellationToken.None));
        }
    }

    // Polls rather than blocking in pg_advisory_lock: a waiter blocked inside a statement is an open
    // transaction, and CREATE INDEX CONCURRENTLY in the holder's run waits for every open
    // transaction to end, so the two would deadlock.
    private async Task AcquireLockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var waiting = false;
        while (!await connection.ExecuteScalarAsync<bool>(
            new CommandDefinition("SELECT pg_try_advisory_lock(@LockKey)", new { LockKey }, cancellationToken: cancellationToken)))
        {
            if (!waiting)
            {
                logger.LogInformation("Another migrator holds the migration lock; waiting for it to finish");
                waiting = true;
            }
            await Task.Delay(LockPollInterval, cancellationToken);
        }
    }

    private void VerifyUnchanged(IReadOnlyList<MigrationScript> scripts, Dictionary<string, AppliedMigration> applied)
    {
        var byName = scripts.ToDictionary(s => s.Name, StringComparer.Ordinal);
        foreach (var entry in applied.Values)
        {
            if (!byName.TryGetValue(entry.Name, out var script))
            {
                logger.LogWarning("Applied migration {Migration} has no file here (the database is newer than this build)", entry.Name);
                continue;
            }
            if (script.Checksum != entry.Checksum)
            {
                throw new MigrationException(
                    $"Migration {entry.Name} was edited after it was applied " +
                    $"(applied checksum {entry.Checksum[..12]}, file now {script.Checksum[..12]}). " +
                    "Applied migrations are immutable: restore the file and put the change in a new numbered migration. " +
                    "Nothing was applied.");
            }
        }
    }

    // A new file numbered at or below the newest applied one would run after it on this database and
    // in number order on a new one: two different schemas from the same files. A change goes into the
    // next free number instead (migrations/README.md).
    private static void RefuseLateFiles(IReadOnlyList<MigrationScript> scripts, Dictionary<string, AppliedMigration> applied)
    {
        if (applied.Count == 0)
        {
            return;
        }
        var newest = applied.Keys.MaxBy(MigrationScript.NumberOf)!;
        var late = scripts.Where(s => !applied.ContainsKey(s.Name) && s.Number <= MigrationScript.NumberOf(newest)).Select(s => s.Name)
            .ToList();
        if (late.Count > 0)
        {
            throw new MigrationException(
                $"Migration {string.Join(", ", late)} is numbered at or below {newest}, " +
                $"the newest migration this database has applied, and was never applied here. " +
                "Applying it now would give this database a schema that a new database, applying in number order, never has. " +
                "Give the file the next free number instead. Nothing was applied.");
        }
    }

    private async Task ApplyAsync(NpgsqlConnection connection, MigrationScript script, CancellationToken cancellationToken)
    {
        logger.LogInformation("Applying {Migration}{Mode}", script.Name,
            script.RunsInTransaction ? "" : " (statement by statement, no transaction)");
        var stopwatch = Stopwatch.StartNew();
        try
        {
            if (script.RunsInTransaction)
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await connection.ExecuteAsync(
                    new CommandDefinition(script.Sql, transaction: transaction, commandTimeout: 0, cancellationToken: cancellationToken));
                await RecordAsync(connection, script, stopwatch, transaction, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
            else
            {
                foreach (var statement in script.SplitStatements())
                {
                    await connection.ExecuteAsync(
                        new CommandDefinition(statement, commandTimeout: 0, cancellationToken: cancellationToken));
                }
                await VerifyIndexesValidAsync(connection, script, cancellationToken);
                await RecordAsync(connection, script, stopwatch, null, cancellationToken);
            }
        }
        catch (PostgresException exception)
        {
            throw new MigrationException(
                $"Migration {script.Name} failed: {exception.SqlState} {exception.MessageText}" +
                (exception.Position > 0 ? $" (at character {exception.Position})" : "") +
                (script.RunsInTransaction ? ". It was rolled back."
                    : ". Its earlier statements stay applied; they are idempotent, so fix the cause and run again."),
                exception);
        }
        logger.LogInformation("Applied {Migration} in {ElapsedMs} ms", script.Name, stopwatch.ElapsedMilliseconds);
    }

    // A CREATE INDEX CONCURRENTLY that fails leaves its index behind, INVALID: never used by the planner,
    // yet IF NOT EXISTS skips it on the next run, which would then journal the file as a success.
    private static async Task VerifyIndexesValidAsync(
        NpgsqlConnection connection, MigrationScript script, CancellationToken cancellationToken)
    {
        var invalid = (await connection.QueryAsync<string>(new CommandDefinition(
            InvalidIndexesSql, new { Names = script.ConcurrentIndexNames().ToArray() }, cancellationToken: cancellationToken))).AsList();
        if (invalid.Count > 0)
        {
            throw new MigrationException(
                $"Migration {script.Name} left index {string.Join(", ", invalid)} INVALID: " +
                $"a concurrent build of it failed, in this run or an earlier one. " +
                $"Fix the cause, DROP INDEX CONCURRENTLY {string.Join(", ", invalid)}, and run again. It was not journaled.");
        }
    }

    private const string InvalidIndexesSql = """
        SELECT name FROM unnest(@Names::text[]) AS name
        JOIN pg_index AS i ON i.indexrelid = to_regclass(name)::oid
        WHERE NOT i.indisvalid
        """;

    private static Task RecordAsync(NpgsqlConnection connection, MigrationScript script, Stopwatch stopwatch,
        NpgsqlTransaction? transaction, CancellationToken cancellationToken)
        => connection.ExecuteAsync(new CommandDefinition(
            MigrationJournal.InsertSql,
            new { script.Name, script.Checksum, DurationMs = (int)stopwatch.ElapsedMilliseconds },
            transaction,
            cancellationToken: cancellationToken));
}
