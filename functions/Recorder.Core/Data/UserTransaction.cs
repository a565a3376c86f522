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

    /// <summary>
    /// One unit of work in ONE round trip: set_config and <paramref name="alsoSelect"/>, then <paramref name="sql"/>, sent
    /// together with no explicit transaction, so PostgreSQL runs them as one implicit transaction, commits it when the
    /// last has run and rolls all of it back when any fails. <paramref name="sql"/> runs after <paramref name="alsoSelect"/>
    /// has returned (a lock it waits for is held) and, under READ COMMITTED, reads a snapshot taken after that.
    /// </summary>
    /// <returns>The single row <paramref name="sql"/> returns.</returns>
    public static Task<T> QuerySingleAsUserAsync<T>(
        this NpgsqlDataSource dataSource,
        string userId,
        string? alsoSelect,
        string sql,
        object parameters,
        CancellationToken cancellationToken)
        => InOneRoundTripAsync(dataSource, userId, alsoSelect, sql, parameters, results => results.ReadSingleAsync<T>(),
            cancellationToken);

    /// <summary>As <see cref="QuerySingleAsUserAsync{T}"/>, for the rows <paramref name="sql"/> returns.</summary>
    public static Task<List<T>> QueryAsUserAsync<T>(
        this NpgsqlDataSource dataSource,
        string userId,
        string? alsoSelect,
        string sql,
        object parameters,
        CancellationToken cancellationToken)
        => InOneRoundTripAsync(dataSource, userId, alsoSelect, sql, parameters,
            async results => (await results.ReadAsync<T>()).AsList(), cancellationToken);

    private static Task<T> InOneRoundTripAsync<T>(
        NpgsqlDataSource dataSource,
        string userId,
        string? alsoSelect,
        string sql,
        object parameters,
        Func<SqlMapper.GridReader, Task<T>> read,
        CancellationToken cancellationToken)
        => StalePlans.RetryOnceAsync(dataSource, async () =>
        {
            var arguments = new DynamicParameters(parameters);
            arguments.Add("userId", userId);
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var results = await connection.QueryMultipleAsync(new CommandDefinition(
                SetUserSql + (alsoSelect is null ? "" : ", " + alsoSelect) + ";\n" + sql, arguments,
                cancellationToken: cancellationToken));
            await results.ReadAsync();
            return await read(results);
        });

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
