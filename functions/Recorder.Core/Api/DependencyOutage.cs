using Azure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Recorder.Core.Api;

/// <summary>
/// Which failures mean PostgreSQL or storage cannot be reached right now, and how a route answers them: 503 problem+json
/// with Retry-After, so the caller tries again (<see cref="HttpApi.ServeAsync"/> applies it to every HTTP function).
/// Only not reaching a dependency counts. A dependency that answers with an error — a SQL syntax error, a constraint no
/// code handles, a refused login, a 403 or 404 from storage — is a fault to fix, not to wait out: it stays a 500.
/// </summary>
public static class DependencyOutage
{
    public const string Database = "database";
    public const string Storage = "storage";

    /// <summary>
    /// How long a client waits before trying again. The server cannot know how long an outage lasts; a few seconds rides
    /// out a dropped connection or a failover's reconnect without holding a person up, and clients back off further on
    /// their own (the recorder client doubles its wait on every try).
    /// </summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    // PostgreSQL's SQLSTATEs for "not serving now": class 08 connection exceptions, admin or crash shutdown, still
    // starting or in recovery, and no connection slot left.
    private static readonly HashSet<string> UnavailableStates =
        [PostgresErrorCodes.AdminShutdown, PostgresErrorCodes.CrashShutdown, PostgresErrorCodes.CannotConnectNow,
            PostgresErrorCodes.TooManyConnections];

    /// <summary>
    /// The dependency <paramref name="exception"/> shows to be unreachable (<see cref="Database"/> or <see cref="Storage"/>), or null.
    /// </summary>
    public static string? Of(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
            || UnavailableStates.Contains(postgres.SqlState) ? Database : null,
        // Npgsql's own failures, without an answer from PostgreSQL: transient when the network, a timeout or a pool with
        // no free connection in time caused them (its IsTransient), not when the connection string is wrong, say.
        NpgsqlException npgsql => npgsql.IsTransient ? Database : null,
        // No response at all (status 0), or one the storage SDK itself retries.
        RequestFailedException failed => failed.Status is 0 or 408 or 429 or 500 or 502 or 503 or 504 ? Storage : null,
        // The storage SDK's retries all failed: each try's exception is inside, a timed-out try as a cancellation.
        AggregateException aggregate => aggregate.Flatten().InnerExceptions is { Count: > 0 } tries
            && tries.All(inner => inner is OperationCanceledException || Of(inner) == Storage) ? Storage : null,
        _ => null,
    };

    /// <summary>The answer to a request that met an outage of <paramref name="dependency"/>.</summary>
    public static IActionResult Answer(string dependency)
        => Problems.WithRetryAfter(Problems.Status(StatusCodes.Status503ServiceUnavailable,
            $"The {dependency} cannot be reached right now, so the request was not completed. Try again after the Retry-After seconds."),
            RetryAfter);
}
