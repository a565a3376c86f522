using Dapper;
using Npgsql;

namespace Recorder.Testing;

/// <summary>Proof that a statement waits for another transaction's row lock (pg_locks), not merely that it is slow.</summary>
public static class LockWaits
{
    // How PostgreSQL makes a statement wait for a row another transaction has locked, updated or deleted: the
    // waiter holds the row's tuple lock and asks, not granted yet, for a lock on the holder's transaction id.
    private const string WaitsForRowSql = """
        SELECT EXISTS (
          SELECT 1
          FROM pg_locks AS waiting
          JOIN pg_locks AS held ON held.locktype = 'transactionid' AND held.transactionid = waiting.transactionid
          WHERE waiting.pid = @WaiterPid AND waiting.locktype = 'transactionid' AND NOT waiting.granted
            AND held.pid = @HolderPid AND held.granted)
        AND EXISTS (
          SELECT 1 FROM pg_locks
          WHERE pid = @WaiterPid AND locktype = 'tuple' AND granted AND relation = to_regclass(@Table))
        """;

    /// <summary>
    /// Returns once backend <paramref name="waiterPid"/> waits for a row of <paramref name="table"/> that the
    /// transaction of backend <paramref name="holderPid"/> holds; fails after 15 s.
    /// </summary>
    public static Task UntilWaitingForRowAsync(string connectionString, int waiterPid, int holderPid, string table)
        => Eventually.TrueAsync(
            async () =>
            {
                await using var observer = new NpgsqlConnection(connectionString);
                await observer.OpenAsync();
                return await observer.ExecuteScalarAsync<bool>(WaitsForRowSql, new { WaiterPid = waiterPid, HolderPid = holderPid, Table = table });
            },
            $"backend {waiterPid} waits for a row of {table} that the transaction of backend {holderPid} holds",
            TimeSpan.FromSeconds(15));
}
