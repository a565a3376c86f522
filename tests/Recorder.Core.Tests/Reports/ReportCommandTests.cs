using System.Globalization;
using System.Text.Json;
using Dapper;
using Npgsql;
using Recorder.Core.Tests.Fixtures;
using Recorder.Core.Tests.Migrations;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Reports;

/// <summary>
/// <c>recorder report storage|activity</c>, run as the built command against a database with known rows:
/// the figures in the table and in the JSON.
/// </summary>
public sealed class ReportCommandTests : IClassFixture<ReportCommandTests.KnownRows>
{
    private const long GiB = 1024L * 1024 * 1024;
    private const long MiB = 1024L * 1024;

    private readonly KnownRows rows;

    public ReportCommandTests(KnownRows rows) => this.rows = rows;

    [Fact]
    public async Task Storage_lists_users_by_bytes_in_use_against_their_limits_and_every_status()
    {
        var run = await rows.RunAsync("report", "storage");

        Assert.True(run.ExitCode == 0, run.Output);
        var lines = Lines(run.Output);
        Assert.Equal("Storage in use (uploads pending, processing and completed, as the quota counts): 4.51 GiB (4842323968 bytes) by 3 users", lines[0]);
        Assert.Matches(@"^User\s+Recordings\s+Used\s+Limit\s+Limit from\s+% of limit$", lines[1]);
        Assert.Matches($@"^{rows.Heavy}\s+2\s+4\.00 GiB\s+5\.00 GiB\s+user\s+80\.00$", lines[2]);
        Assert.Matches($@"^{rows.Light}\s+1\s+512\.00 MiB\s+1\.00 GiB\s+default\s+50\.00$", lines[3]);
        Assert.Matches($@"^{rows.Older}\s+1\s+10\.00 MiB\s+1\.00 GiB\s+default\s+0\.97$", lines[4]);
        Assert.DoesNotContain(lines, line => line.StartsWith(rows.FailedOnly, StringComparison.Ordinal));
        Assert.Contains(lines, line => System.Text.RegularExpressions.Regex.IsMatch(line, @"^uploading\s+1\s+1\.00 GiB$"));
        Assert.Contains(lines, line => System.Text.RegularExpressions.Regex.IsMatch(line, @"^completed\s+3\s+3\.51 GiB$"));
        Assert.Contains(lines, line => System.Text.RegularExpressions.Regex.IsMatch(line, @"^failed\s+2\s+2\.01 GiB$"));
        Assert.Contains(lines, line => System.Text.RegularExpressions.Regex.IsMatch(line, @"^deleting\s+1\s+100\.00 MiB$"));
        Assert.Contains(lines, line => System.Text.RegularExpressions.Regex.IsMatch(line, @"^processing\s+0\s+0 B$"));
    }

    [Fact]
    public async Task Storage_as_json_keeps_bytes_and_top_limits_the_users()
    {
        var run = await rows.RunAsync("report", "storage", "--top", "1", "--format", "json");

        Assert.True(run.ExitCode == 0, run.Output);
        var report = JsonDocument.Parse(run.Output).RootElement;
        Assert.Equal(4 * GiB + 512 * MiB + 10 * MiB, report.GetProperty("usedBytes").GetInt64());
        Assert.Equal(3, report.GetProperty("usersWithRecordings").GetInt32());
        var user = Assert.Single(report.GetProperty("topUsers").EnumerateArray());
        Assert.Equal(rows.Heavy, user.GetProperty("userId").GetString());
        Assert.Equal((4 * GiB, 5 * GiB, 80.00m), (user.GetProperty("usedBytes").GetInt64(), user.GetProperty("limitBytes").GetInt64(), user.GetProperty("percentOfLimit").GetDecimal()));
    }

    [Fact]
    public async Task Activity_counts_recordings_and_sessions_per_UTC_day_with_durations_in_seconds()
    {
        var run = await rows.RunAsync("report", "activity", "--days", "3");

        Assert.True(run.ExitCode == 0, run.Output);
        var lines = Lines(run.Output);
        Assert.Matches(@"^Date \(UTC\)\s+Created\s+Completed\s+Failed\s+In progress\s+Avg duration \(s\)\s+Completed size\s+Sessions\s+Interrupted$", lines[0]);
        Assert.Equal(4, lines.Count); // three days, oldest first, also a day without rows
        Assert.Equal(rows.Today.AddDays(-2), DateOnly.Parse(lines[1][..10], CultureInfo.InvariantCulture));
        Assert.Matches($@"^{rows.TwoDaysAgo:yyyy-MM-dd}\s+1\s+1\s+0\s+0\s+30\.000\s+10\.00 MiB\s+0\s+0$", lines.Single(line => line.StartsWith($"{rows.TwoDaysAgo:yyyy-MM-dd}", StringComparison.Ordinal)));
        Assert.Matches($@"^{rows.Today:yyyy-MM-dd}\s+5\s+2\s+1\s+1\s+12\.500\s+3\.50 GiB\s+2\s+1$", lines.Single(line => line.StartsWith($"{rows.Today:yyyy-MM-dd}", StringComparison.Ordinal)));
        Assert.Contains(lines, line => System.Text.RegularExpressions.Regex.IsMatch(line, @"^\d{4}-\d{2}-\d{2}\s+0\s+0\s+0\s+0\s+-\s+0 B\s+0\s+0$"));
    }

    [Fact]
    public async Task Activity_as_json_leaves_an_unmeasured_average_null()
    {
        var run = await rows.RunAsync("report", "activity", "--days", "3", "--format", "json");

        Assert.True(run.ExitCode == 0, run.Output);
        var days = JsonDocument.Parse(run.Output).RootElement.EnumerateArray().ToList();
        Assert.Equal(3, days.Count);
        var today = days.Single(day => day.GetProperty("date").GetString() == rows.Today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Assert.Equal((5, 12.5m, 3 * GiB + 512 * MiB), (today.GetProperty("created").GetInt32(), today.GetProperty("averageDurationSeconds").GetDecimal(), today.GetProperty("completedBytes").GetInt64()));
        Assert.Contains(days, day => day.GetProperty("averageDurationSeconds").ValueKind == JsonValueKind.Null);
    }

    [Theory]
    [InlineData("report")]
    [InlineData("report", "sizes")]
    [InlineData("report", "storage", "--top", "0")]
    [InlineData("report", "activity", "--days", "x")]
    [InlineData("report", "activity", "--format", "xml")]
    public async Task Bad_usage_exits_with_2_and_the_usage(params string[] arguments)
    {
        var run = await rows.RunAsync(arguments);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("report storage [--top <n>]", run.Output);
    }

    private static List<string> Lines(string output) => output.Split('\n').Select(line => line.TrimEnd('\r')).Where(line => line.Length > 0).ToList();

    /// <summary>A database with known recordings and sessions; the command gets it through its settings.</summary>
    public sealed class KnownRows : IAsyncLifetime
    {
        private readonly MigratedDatabase database = new();

        public string Heavy { get; } = "heavy-" + Guid.NewGuid().ToString("N")[..8];
        public string Light { get; } = "light-" + Guid.NewGuid().ToString("N")[..8];
        public string FailedOnly { get; } = "failed-" + Guid.NewGuid().ToString("N")[..8];
        public string Older { get; } = "older-" + Guid.NewGuid().ToString("N")[..8];
        public DateOnly Today { get; private set; }
        public DateOnly TwoDaysAgo { get; private set; }

        internal Task<RecorderCli.Run> RunAsync(params string[] arguments)
            => RecorderCli.RunAsync(new Dictionary<string, string?>
            {
                ["Database__AppConnectionString"] = database.AppConnectionString,
                ["Database__MaintenanceConnectionString"] = database.MaintenanceConnectionString,
                ["Recordings__DefaultStorageLimitBytes"] = GiB.ToString(CultureInfo.InvariantCulture),
            }, arguments);

        public async Task InitializeAsync()
        {
            await database.InitializeAsync();
            await using (var owner = await database.OpenOwnerAsync())
            {
                foreach (var user in new[] { Heavy, Light, FailedOnly, Older })
                {
                    await owner.ExecuteAsync(
                        "INSERT INTO users (id, email, password, first_name, last_name) VALUES (@user, @user || '@example.test', 'x', 'R', 'T')",
                        new { user });
                }
            }
            // The recorder's rows across users: as recorder_maintenance (the owner is bound by row-level security).
            await using var connection = await database.OpenMaintenanceAsync();
            await connection.ExecuteAsync("INSERT INTO user_storage_limits (user_id, limit_bytes) VALUES (@Heavy, @limit)", new { Heavy, limit = 5 * GiB });
            // Today: 5 created (2 completed, 1 failed, 1 uploading, 1 deleting); one completed has no duration yet.
            await InsertAsync(connection, Heavy, "completed", 3 * GiB, 12.5m, TimeSpan.FromMinutes(1));
            await InsertAsync(connection, Heavy, "uploading", 1 * GiB, null, TimeSpan.FromMinutes(1));
            await InsertAsync(connection, Light, "completed", 512 * MiB, null, TimeSpan.FromMinutes(1));
            await InsertAsync(connection, Light, "deleting", 100 * MiB, 4m, TimeSpan.FromMinutes(1));
            await InsertAsync(connection, FailedOnly, "failed", 2 * GiB, null, TimeSpan.FromMinutes(1));
            // Two days ago one completed recording; a week ago one outside a three-day report.
            await InsertAsync(connection, Older, "completed", 10 * MiB, 30m, TimeSpan.FromDays(2));
            await InsertAsync(connection, FailedOnly, "failed", 10 * MiB, null, TimeSpan.FromDays(7));
            await connection.ExecuteAsync(
                """
                INSERT INTO recording_sessions (user_id, recording_type, started_at, last_heartbeat_at, ended_at, status, error_code)
                VALUES (@Heavy, 'camera', now() - interval '1 minute', now(), now(), 'completed', NULL),
                       (@Heavy, 'camera', now() - interval '1 minute', now(), now(), 'interrupted', 'heartbeat_timeout')
                """, new { Heavy });
            var dates = await connection.QuerySingleAsync<(DateTime Today, DateTime TwoDaysAgo)>(
                "SELECT (now() - interval '1 minute') AT TIME ZONE 'UTC', (now() - interval '2 days') AT TIME ZONE 'UTC'");
            (Today, TwoDaysAgo) = (DateOnly.FromDateTime(dates.Today), DateOnly.FromDateTime(dates.TwoDaysAgo));
        }

        public Task DisposeAsync() => database.DisposeAsync();

        private static Task InsertAsync(NpgsqlConnection connection, string user, string status, long size, decimal? duration, TimeSpan age)
            => connection.ExecuteAsync(
                """
                INSERT INTO recordings (user_id, title, recording_type, file_size, mime_type, blob_name, status, failure_code, duration, created_at)
                VALUES (@user, 'r', 'camera', @size, 'video/webm', gen_random_uuid()::text, @status,
                        CASE WHEN @status = 'failed' THEN 'corrupt_media' END, @duration, now() - @age)
                """,
                new { user, status, size, duration, age });
    }
}
