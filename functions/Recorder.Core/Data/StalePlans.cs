using Npgsql;

namespace Recorder.Core.Data;

/// <summary>
/// The app's pool prepares its repeated statements (<see cref="RecorderDataSources"/>). A migration that changes the result
/// shape of a prepared statement (a column's type) makes PostgreSQL refuse it on every connection that prepared it:
/// <c>0A000 cached plan must not change result type</c>. The unit of work that met it runs once more on a pool started
/// afresh, so a deploy's migration costs one retry per stale connection instead of failed requests.
/// </summary>
public static class StalePlans
{
    public static bool IsStalePlan(Exception exception)
        => exception is PostgresException { SqlState: PostgresErrorCodes.FeatureNotSupported, Routine: "RevalidateCachedQuery" };

    /// <summary>
    /// Runs <paramref name="work"/>; when a stale prepared statement failed it, clears the pool (idle connections close
    /// now, busy ones when returned, each with the statements it prepared) and runs it once more. The failed attempt's
    /// transaction was rolled back, so nothing of it is left.
    /// </summary>
    public static async Task<T> RetryOnceAsync<T>(NpgsqlDataSource dataSource, Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (Exception exception) when (IsStalePlan(exception))
        {
            dataSource.Clear();
            return await work();
        }
    }
}
