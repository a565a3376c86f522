using Dapper;
using Npgsql;

namespace Recorder.Core.Data;

/// <summary>
/// Runs work as the app role inside one transaction bound to one user: <c>app.user_id</c> is set
/// with <c>set_config(…, true)</c>, transaction-local, so row-level security sees only that user's
/// rows and a pooled connection never carries the user into another request.
/// </summary>
public static class UserTransaction
{
    public static async Task<T> RunAsUserAsync<T>(
        this NpgsqlDataSource dataSource,
        string userId,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(
            new CommandDefinition("SELECT set_config('app.user_id', @userId, true)", new { userId }, transaction,
                cancellationToken: cancellationToken));
        var result = await work(connection, transaction);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }
}
