using Dapper;
using Npgsql;
using Recorder.Core.Data;
using Recorder.Core.Tests.Fixtures;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Data;

/// <summary>
/// The app's pool prepares its repeated statements by default, and a migration that changes a prepared statement's result
/// shape under the running pool does not fail the next request (<see cref="StalePlans"/>).
/// </summary>
public sealed class StalePlanTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>
{
    private const string UserId = "stale-plan-user";
    private const string ReadSql = "SELECT title AS Title FROM recordings WHERE user_id = @UserId ORDER BY id";

    [Fact]
    public async Task A_statement_prepared_before_a_column_type_change_answers_after_it()
    {
        await database.AddUserAsync(UserId);
        await using (var maintenance = await database.OpenMaintenanceAsync())
        {
            await maintenance.ExecuteAsync("""
                INSERT INTO recordings (user_id, title, recording_type, file_size, mime_type, blob_name, status)
                VALUES (@UserId, 'Before', 'camera', 10, 'video/webm', 'stale-plan-user/1/a.webm', 'completed')
                """, new { UserId });
        }
        await using var dataSources = database.CreateDataSources();
        // Max Pool Size is the test's default (100), so one sequential caller reuses one connection: the third run is prepared.
        for (var run = 0; run < 3; run++)
        {
            Assert.Equal(["Before"], await TitlesAsync(dataSources.App));
        }
        await using (var app = await dataSources.App.OpenConnectionAsync())
        {
            Assert.Contains(ReadSql.Replace("@UserId", "$1", StringComparison.Ordinal),
                await app.QueryAsync<string>("SELECT statement FROM pg_prepared_statements"));
        }

        await using (var owner = await database.OpenOwnerAsync())
        {
            await owner.ExecuteAsync("ALTER TABLE recordings ALTER COLUMN title TYPE text");
        }

        Assert.Equal(["Before"], await TitlesAsync(dataSources.App));
    }

    [Fact]
    public async Task Preparation_stays_off_where_the_connection_string_says_so()
    {
        await using var dataSource = RecorderDataSources.Build(database.AppConnectionString + ";Max Auto Prepare=0", "test",
            prepareByDefault: true);
        await using var defaults = RecorderDataSources.Build(database.AppConnectionString, "test", prepareByDefault: true);

        Assert.Equal(0, new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).MaxAutoPrepare);
        Assert.Equal(RecorderDataSources.AutoPreparedStatements,
            new NpgsqlConnectionStringBuilder(defaults.ConnectionString).MaxAutoPrepare);
    }

    private static Task<List<string>> TitlesAsync(NpgsqlDataSource app)
        => app.RunAsUserAsync(UserId, async (connection, transaction) =>
            (await connection.QueryAsync<string>(new CommandDefinition(ReadSql, new { UserId }, transaction))).AsList(),
            CancellationToken.None);
}
