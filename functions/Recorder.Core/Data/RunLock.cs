using Dapper;
using Npgsql;

namespace Recorder.Core.Data;

/// <summary>
/// A session advisory lock that lets one run of a job (a timer's sweep, one erasure) work at a time across
/// instances. It lives on a connection of its own, so it dies with a run that crashes; disposing releases it
/// explicitly, because the pool keeps the connection and would otherwise keep the lock. Visible in pg_locks.
/// </summary>
public sealed class RunLock : IAsyncDisposable
{
    private const string TryLockSql = "SELECT pg_try_advisory_lock(@Key)";
    private const string UnlockSql = "SELECT pg_advisory_unlock(@Key)";
    private const string TryLockPairSql = "SELECT pg_try_advisory_lock(@Class, @Key::int)";
    private const string UnlockPairSql = "SELECT pg_advisory_unlock(@Class, @Key::int)";

    private readonly NpgsqlConnection connection;
    private readonly string unlockSql;
    private readonly object parameters;

    private RunLock(NpgsqlConnection connection, string unlockSql, object parameters)
        => (this.connection, this.unlockSql, this.parameters) = (connection, unlockSql, parameters);

    /// <summary>The lock of one job (a 64-bit key), or null when another run holds it.</summary>
    public static Task<RunLock?> TryTakeAsync(NpgsqlDataSource dataSource, long key, CancellationToken cancellationToken)
        => TryTakeAsync(dataSource, TryLockSql, UnlockSql, new { Key = key }, cancellationToken);

    /// <summary>The lock of one item of a kind (a class and an item id), or null when another run holds it.</summary>
    public static Task<RunLock?> TryTakeAsync(NpgsqlDataSource dataSource, int lockClass, long itemId, CancellationToken cancellationToken)
        => TryTakeAsync(dataSource, TryLockPairSql, UnlockPairSql, new { Class = lockClass, Key = itemId }, cancellationToken);

    private static async Task<RunLock?> TryTakeAsync(
        NpgsqlDataSource dataSource, string trySql, string unlockSql, object parameters, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition(trySql, parameters, cancellationToken: cancellationToken)))
            {
                return new RunLock(connection, unlockSql, parameters);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        await connection.DisposeAsync();
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(unlockSql, parameters, cancellationToken: CancellationToken.None));
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }
}
