using Dapper;
using Npgsql;

namespace Recorder.Core.Data;

/// <summary>
/// Runs work as the app role inside one transaction bound to one user: <c>app.user_id</c> is set
/// with <c>set_config(…, true)</c>, transaction-local, so row-level security sees only that user's
/// rows and a pooled connection never carries the user into another request. A statement prepared before a migration
/// changed its result shape fails the first attempt only (<see cref="StalePlans"/>).
/// </summary>
public static class UserTransaction
{
    private const string SetUserSql = "SELECT set_config('app.user_id', @userId, true)";

    public static Task<T> RunAsUserAsync<T>(
        this NpgsqlDataSource dataSource,
        string userId,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work,
        CancellationToken cancellationToken)
        => dataSource.RunAsUserAsync(userId, work, alsoSelect: null, cancellationToken);

    /// <param name="alsoSelect">
    /// A SQL expression evaluated in the same statement as set_config (one round trip less), e.g. a lock the work needs
    /// first; it may use <c>@userId</c>.
    /// </param>
    public static Task<T> RunAsUserAsync<T>(
        this NpgsqlDataSource dataSource,
        string userId,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work,
        string? alsoSelect,
        CancellationToken cancellationToken)
        => StalePlans.RetryOnceAsync(dataSource, () => RunOnceAsync(dataSource, userId, work, alsoSelect, cancellationToken));

    private static async Task<T> RunOnceAsync<T>(
        NpgsqlDataSource dataSource,
        string userId,
        Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work,
        string? alsoSelect,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(
            new CommandDefinition(SetUserSql + (alsoSelect is null ? "" : ", " + alsoSelect), new { userId }, transaction,
                cancellationToken: cancellationToken));
        var result = await work(connection, transaction);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }
}
