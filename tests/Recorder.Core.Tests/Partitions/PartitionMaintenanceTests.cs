using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Partitions;
using Recorder.Core.Tests.Fixtures;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Partitions;

public sealed class PartitionMaintenanceTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>
{
    [Fact]
    public async Task The_migration_already_made_the_coming_weeks_so_the_timer_has_nothing_to_add()
    {
        await using var dataSources = database.CreateDataSources();
        var service = new PartitionMaintenanceService(dataSources, Options.Create(new PartitionOptions { WeeksAhead = 8 }), NullLogger<PartitionMaintenanceService>.Instance);

        Assert.Equal(0, await service.EnsurePartitionsAsync(CancellationToken.None));

        await using var connection = new NpgsqlConnection(database.OwnerConnectionString);
        var currentWeek = await connection.ExecuteScalarAsync<string>("SELECT 'recording_sessions_p' || to_char(now() AT TIME ZONE 'UTC', 'IYYY\"w\"IW')");
        Assert.True(await connection.ExecuteScalarAsync<bool>("SELECT to_regclass(@currentWeek) IS NOT NULL", new { currentWeek }));
    }

    [Fact]
    public async Task A_row_beyond_the_created_weeks_waits_in_the_default_partition_and_moves_when_its_week_is_made()
    {
        await using (var owner = await database.OpenOwnerAsync())
        {
            await owner.ExecuteAsync(
                "INSERT INTO users (id, email, password, first_name, last_name) VALUES ('far-user', 'far@example.com', 'x', 'Far', 'Future')");
        }
        // The session as recorder_maintenance, which sees it wherever it lies (the owner is bound by row-level security).
        await using var connection = await database.OpenMaintenanceAsync();
        var id = await connection.ExecuteScalarAsync<long>(
            "INSERT INTO recording_sessions (user_id, recording_type, started_at) VALUES ('far-user', 'camera', now() + interval '20 weeks') RETURNING id");
        Assert.Equal("recording_sessions_default", await PartitionOfAsync(connection, id));

        await using var dataSources = database.CreateDataSources();
        var service = new PartitionMaintenanceService(dataSources, Options.Create(new PartitionOptions { WeeksAhead = 21 }), NullLogger<PartitionMaintenanceService>.Instance);
        Assert.True(await service.EnsurePartitionsAsync(CancellationToken.None) > 0);
        Assert.Equal(0, await service.EnsurePartitionsAsync(CancellationToken.None));

        Assert.StartsWith("recording_sessions_p", await PartitionOfAsync(connection, id));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM recording_sessions WHERE id = @id", new { id }));
    }

    private static Task<string?> PartitionOfAsync(NpgsqlConnection connection, long id)
        => connection.ExecuteScalarAsync<string>("SELECT tableoid::regclass::text FROM recording_sessions WHERE id = @id", new { id });
}
