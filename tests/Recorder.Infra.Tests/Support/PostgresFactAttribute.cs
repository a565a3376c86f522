using Npgsql;
using Xunit;

namespace Recorder.Infra.Tests.Support;

/// <summary>
/// A fact that runs against the test PostgreSQL (RECORDER_TEST_PG_ADMIN, as scripts/test.sh sets it) and needs at least
/// <see cref="MinimumMajorVersion"/>: on an older server it is reported skipped, with the reason, not passed.
/// </summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    private int minimumMajorVersion;

    public static string AdminConnectionString => Environment.GetEnvironmentVariable("RECORDER_TEST_PG_ADMIN")
        ?? throw new InvalidOperationException("RECORDER_TEST_PG_ADMIN is not set: run the tests with scripts/test.sh.");

    public int MinimumMajorVersion
    {
        get => minimumMajorVersion;
        set
        {
            minimumMajorVersion = value;
            // Without the setting the test runs, and fails saying so.
            if (Environment.GetEnvironmentVariable("RECORDER_TEST_PG_ADMIN") is { } connectionString && ServerMajorVersion(connectionString) is var major && major < value)
            {
                Skip = $"needs PostgreSQL {value} or later (Azure runs 16); the test server is {major}";
            }
        }
    }

    private static int ServerMajorVersion(string connectionString)
    {
        using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 10 }.ConnectionString);
        connection.Open();
        return connection.PostgreSqlVersion.Major;
    }
}
