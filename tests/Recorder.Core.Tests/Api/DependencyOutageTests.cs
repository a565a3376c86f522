using Azure;
using Azure.Storage.Blobs;
using Dapper;
using Npgsql;
using Recorder.Core.Api;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Api;

/// <summary>
/// What counts as a dependency outage (a 503 the client retries) and what stays a fault of ours (a 500): real failures
/// of PostgreSQL and Azurite where they can be caused here, the storage SDK's other statuses as it would throw them.
/// </summary>
public sealed class DependencyOutageTests
{
    private static string Admin => TestEnvironment.PostgresAdminConnectionString;

    [Fact]
    public async Task A_database_nobody_listens_for_is_an_outage()
    {
        var exception = await FailureOfAsync(new NpgsqlConnectionStringBuilder(Admin) { Port = ClosedPort.Next(), Timeout = 3 }.ConnectionString, "SELECT 1");

        Assert.Equal(DependencyOutage.Database, DependencyOutage.Of(exception));
    }

    [Fact]
    public async Task A_query_that_outlives_its_command_timeout_is_an_outage()
    {
        var exception = await FailureOfAsync(new NpgsqlConnectionStringBuilder(Admin) { CommandTimeout = 1 }.ConnectionString, "SELECT pg_sleep(5)");

        Assert.Equal(DependencyOutage.Database, DependencyOutage.Of(exception));
    }

    [Fact]
    public async Task A_pool_with_no_free_connection_in_time_is_an_outage()
    {
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Admin) { MaxPoolSize = 1, Timeout = 1, ApplicationName = "outage-pool" }.ConnectionString);
        await using var held = await dataSource.OpenConnectionAsync();

        var exception = await Assert.ThrowsAnyAsync<Exception>(async () => await dataSource.OpenConnectionAsync());

        Assert.Equal(DependencyOutage.Database, DependencyOutage.Of(exception));
    }

    [Fact]
    public async Task A_connection_the_server_terminates_is_an_outage()
    {
        await using var victim = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Admin) { Pooling = false }.ConnectionString);
        await victim.OpenAsync();
        var pid = await victim.ExecuteScalarAsync<int>("SELECT pg_backend_pid()");
        await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Admin) { Pooling = false }.ConnectionString))
        {
            // What a shutdown or failover does to every open connection: 57P01, then a closed socket.
            Assert.True(await admin.ExecuteScalarAsync<bool>("SELECT pg_terminate_backend(@pid)", new { pid }));
        }

        var exception = await Assert.ThrowsAnyAsync<Exception>(async () => await victim.ExecuteScalarAsync<int>("SELECT 1"));

        Assert.Equal(DependencyOutage.Database, DependencyOutage.Of(exception));
    }

    [Theory]
    [InlineData(PostgresErrorCodes.AdminShutdown)]
    [InlineData(PostgresErrorCodes.CrashShutdown)]
    [InlineData(PostgresErrorCodes.CannotConnectNow)]
    [InlineData(PostgresErrorCodes.TooManyConnections)]
    [InlineData(PostgresErrorCodes.ConnectionFailure)]
    [InlineData(PostgresErrorCodes.SqlClientUnableToEstablishSqlConnection)]
    public void PostgreSQL_saying_it_does_not_serve_now_is_an_outage(string sqlState)
        => Assert.Equal(DependencyOutage.Database, DependencyOutage.Of(Postgres(sqlState)));

    [Theory]
    [InlineData("SELECT FROM WHERE")]
    [InlineData("SELECT * FROM table_that_is_not_there")]
    [InlineData("CREATE TEMP TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)")]
    [InlineData("SELECT 1 / 0")]
    public async Task A_query_postgresql_refuses_is_not_an_outage(string sql)
    {
        var exception = await FailureOfAsync(Admin, sql);

        Assert.IsType<PostgresException>(exception);
        Assert.Null(DependencyOutage.Of(exception));
    }

    [Theory]
    [InlineData(PostgresErrorCodes.SerializationFailure)]
    [InlineData(PostgresErrorCodes.DeadlockDetected)]
    [InlineData(PostgresErrorCodes.LockNotAvailable)]
    [InlineData(PostgresErrorCodes.InsufficientPrivilege)]
    public void Errors_npgsql_calls_transient_but_a_fault_of_ours_are_not_an_outage(string sqlState)
        => Assert.Null(DependencyOutage.Of(Postgres(sqlState)));

    [Fact]
    public async Task A_refused_login_is_not_an_outage()
    {
        var exception = await FailureOfAsync(new NpgsqlConnectionStringBuilder(Admin) { Username = "no_such_role_" + Guid.NewGuid().ToString("N")[..8] }.ConnectionString, "SELECT 1");

        Assert.Null(DependencyOutage.Of(exception));
    }

    [Fact]
    public async Task Storage_nobody_listens_for_is_an_outage_with_or_without_the_sdks_retries()
    {
        foreach (var retries in new[] { 0, 2 })
        {
            var blobs = new BlobServiceClient(TestStorage.StoppedConnectionString(), new BlobClientOptions { Retry = { MaxRetries = retries, Delay = TimeSpan.FromMilliseconds(10) } });

            var exception = await Assert.ThrowsAnyAsync<Exception>(() => blobs.GetBlobContainerClient("uploads").GetPropertiesAsync());

            Assert.IsType(retries == 0 ? typeof(RequestFailedException) : typeof(AggregateException), exception);
            Assert.Equal(DependencyOutage.Storage, DependencyOutage.Of(exception));
        }
    }

    [Fact]
    public async Task Storage_answering_not_found_or_forbidden_is_not_an_outage()
    {
        var missing = await Assert.ThrowsAsync<RequestFailedException>(() =>
            TestStorage.CreateClient().GetBlobContainerClient("missing-" + Guid.NewGuid().ToString("N")[..8]).GetPropertiesAsync());
        var wrongKey = TestEnvironment.StorageConnectionString.Replace("AccountKey=", "AccountKey=AAAA", StringComparison.Ordinal);
        var forbidden = await Assert.ThrowsAsync<RequestFailedException>(() => new BlobServiceClient(wrongKey).GetBlobContainerClient("uploads").GetPropertiesAsync());

        Assert.Equal((404, 403), (missing.Status, forbidden.Status));
        Assert.Null(DependencyOutage.Of(missing));
        Assert.Null(DependencyOutage.Of(forbidden));
    }

    [Theory]
    [InlineData(408, true)]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(502, true)]
    [InlineData(503, true)]
    [InlineData(504, true)]
    [InlineData(400, false)]
    [InlineData(409, false)]
    [InlineData(412, false)]
    [InlineData(501, false)]
    public void Storage_statuses_the_sdk_retries_are_an_outage(int status, bool outage)
        => Assert.Equal(outage ? DependencyOutage.Storage : null, DependencyOutage.Of(new RequestFailedException(status, "storage said so")));

    [Fact]
    public void Retries_that_did_not_all_meet_an_outage_are_not_one()
    {
        var unreachable = new RequestFailedException(0, "Connection refused", new HttpRequestException("Connection refused"));

        Assert.Equal(DependencyOutage.Storage, DependencyOutage.Of(new AggregateException(unreachable, new TaskCanceledException("timed out"))));
        Assert.Null(DependencyOutage.Of(new AggregateException(unreachable, new RequestFailedException(404, "not found"))));
        Assert.Null(DependencyOutage.Of(new AggregateException(new TaskCanceledException("timed out"), new InvalidOperationException())));
        Assert.Null(DependencyOutage.Of(new AggregateException()));
    }

    [Fact]
    public void Other_exceptions_are_not_an_outage()
    {
        Assert.Null(DependencyOutage.Of(new InvalidOperationException("a bug")));
        Assert.Null(DependencyOutage.Of(new TimeoutException("not from a dependency")));
        Assert.Null(DependencyOutage.Of(new HttpRequestException("another service")));
    }

    private static async Task<Exception> FailureOfAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await connection.OpenAsync();
            await connection.ExecuteAsync(sql);
        });
    }

    private static PostgresException Postgres(string sqlState) => new("message", "ERROR", "ERROR", sqlState);
}
