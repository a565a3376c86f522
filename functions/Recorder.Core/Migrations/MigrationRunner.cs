using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Recorder.Core.Migrations;

public sealed record MigrationResult(IReadOnlyList<string> Applied, int AlreadyApplied);

/// <summary>
/// Applies migrations/ in order as the owner role. Holds a session advisory lock for the whole run,
/// so a second migrator waits and then finds nothing to do; refuses to run when an applied file
/// was edited; applies each file with its journal row in one transaction, except files marked
/// <see cref="MigrationScript.NoTransactionMarker"/>.
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
            await connection.ExecuteAsync(new CommandDefinition(MigrationJournal.CreateTableSql, cancellationToken: cancellationToken));
            var applied = (await connection.QueryAsync<AppliedMigration>(new CommandDefinition(MigrationJournal.ListSql, cancellationToken: cancellationToken)))
                .ToDictionary(m => m.Name, StringComparer.Ordinal);

            VerifyUnchanged(scripts, applied);

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
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@LockKey)", new { LockKey }, cancellationToken: CancellationToken.None));
        }
    }

    // Polls rather than blocking in pg_advisory_lock: a waiter blocked inside a statement is an open
    // transaction, and CREATE INDEX CONCURRENTLY in the holder's run waits for every open
    // transaction to end, so the two would deadlock.
    private async Task AcquireLockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var waiting = false;
        while (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT pg_try_advisory_lock(@LockKey)", new { LockKey }, cancellationToken: cancellationToken)))
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
                    $"Migration {entry.Name} was edited after it was applied (applied checksum {entry.Checksum[..12]}, file now {script.Checksum[..12]}). " +
                    "Applied migrations are immutable: restore the file and put the change in a new numbered migration. Nothing was applied.");
            }
        }
    }

    private async Task ApplyAsync(NpgsqlConnection connection, MigrationScript script, CancellationToken cancellationToken)
    {
        logger.LogInformation("Applying {Migration}{Mode}", script.Name, script.RunsInTransaction ? "" : " (statement by statement, no transaction)");
        var stopwatch = Stopwatch.StartNew();
        try
        {
            if (script.RunsInTransaction)
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await connection.ExecuteAsync(new CommandDefinition(script.Sql, transaction: transaction, commandTimeout: 0, cancellationToken: cancellationToken));
                await RecordAsync(connection, script, stopwatch, transaction, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
            else
            {
                foreach (var statement in script.SplitStatements())
                {
                    await connection.ExecuteAsync(new CommandDefinition(statement, commandTimeout: 0, cancellationToken: cancellationToken));
                }
                await RecordAsync(connection, script, stopwatch, null, cancellationToken);
            }
        }
        catch (PostgresException exception)
        {
            throw new MigrationException(
                $"Migration {script.Name} failed: {exception.SqlState} {exception.MessageText}" +
                (exception.Position > 0 ? $" (at character {exception.Position})" : "") +
                (script.RunsInTransaction ? ". It was rolled back." : ". Its earlier statements stay applied; they are idempotent, so fix the cause and run again."),
                exception);
        }
        logger.LogInformation("Applied {Migration} in {ElapsedMs} ms", script.Name, stopwatch.ElapsedMilliseconds);
    }

    private static Task RecordAsync(NpgsqlConnection connection, MigrationScript script, Stopwatch stopwatch, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
        => connection.ExecuteAsync(new CommandDefinition(
            MigrationJournal.InsertSql,
            new { script.Name, script.Checksum, DurationMs = (int)stopwatch.ElapsedMilliseconds },
            transaction,
            cancellationToken: cancellationToken));
}
