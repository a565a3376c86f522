using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using Azure.Storage.Blobs;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Bench.Common;
using Recorder.Core.Api;
using Recorder.Core.Alerts;
using Recorder.Core.Data;
using Recorder.Core.Lifecycle;
using Recorder.Core.Recordings;
using Recorder.Core.Security;
using Recorder.Core.Storage;
using Recorder.Core.Uploads;
using Recorder.Core.Uploads.Sas;

namespace Recorder.Bench.Database;

/// <summary>
/// (c) PostgreSQL at scale: a throwaway database with <c>--recordings</c> recordings across <c>--users</c> users,
/// the app's own queries (read from its classes, so the bench measures the SQL that ships) as the app runs them:
/// the list and storage queries as recorder_app with app.user_id set in the transaction (row-level security),
/// retention as recorder_maintenance. EXPLAIN (ANALYZE, BUFFERS) of each goes into the results file.
/// </summary>
public static class ScaleBench
{
    private const int PageSize = 20;
    private const int Samples = 1000;

    // The page's query alone (the list request also writes its audit entry in the same statement).
    private static readonly string ListSql = Constant<RecordingsService>("PageSql");
    private const string UsageByTypeSql = StorageQuota.UsageByTypeSql;
    private const string UsageSql = StorageQuota.UsageSql;
    private static readonly string SelectExpiredSql = Constant<RecordingLifecycleSweeper>("SelectExpiredSql");

    // GET /api/recordings?cursor=… deep in a heavy user's list, done the way keyset replaces: OFFSET.
    private static readonly string OffsetListSql = ListSql
        .Replace("AND (@AfterCreatedAt::timestamptz IS NULL OR (created_at, id) < (@AfterCreatedAt, @AfterId))", "", StringComparison.Ordinal)
        .Replace("LIMIT @Take", "LIMIT @Take OFFSET @Offset", StringComparison.Ordinal);

    // The AlertsCheck timer's storage condition (users at or over the warning share of their limit), as it runs it.
    private const string StorageAlertSql = AlertConditions.StorageSql;


    // The database side of retention alone: one statement per batch, audited in the same statement, no storage
    // requests; the sweeper's purge is this statement with each batch's blob deletions before it.
    // Small enough that the concurrent writer barely feels a statement's WAL and index work.
    private const int SetBasedBatch = 1_000;

    // 019's triggers, which ForeignKeyInsteadOfTriggersSql replaces for a baseline and which are put back after it.
    private static readonly string[] UnlinkTriggers = ["recordings_unlink_sessions", "recording_sessions_require_recording"];

    // Puts 002's foreign key back in place of 019's triggers, so the purge can run as the sweeper's role against
    // it: the unlink's cost before and after 019, measured in one run. The owner swaps (and swaps back) in a
    // transaction of its own: it may not SET ROLE recorder_maintenance (it holds the role it created as ADMIN only,
    // as Azure's administrator does), so the purge cannot share the swap's transaction. Validating the key reads
    // recordings as the owner, whom FORCEd row-level security shows none (every session would look orphaned), and a
    // partitioned table's key cannot be NOT VALID: FORCE is lifted for the validation only, inside the swap's
    // transaction, as migration 010 does for its own update (this benchmark's throwaway database).
    private const string ForeignKeyInsteadOfTriggersSql = """
        DROP TRIGGER recordings_unlink_sessions ON recordings;
        DROP TRIGGER recording_sessions_require_recording ON recording_sessions;
        ALTER TABLE recordings NO FORCE ROW LEVEL SECURITY;
        ALTER TABLE recording_sessions ADD CONSTRAINT recording_sessions_recording_id_fkey
          FOREIGN KEY (recording_id) REFERENCES recordings (id) ON DELETE SET NULL;
        ALTER TABLE recordings FORCE ROW LEVEL SECURITY;
        """;

    /// <summary>PostgreSQL deleting expired rows set-based with their audit rows (no blobs): the sweeps' database floor.</summary>
    internal const string SetBasedPurgeSql = """
        WITH expired AS (
          SELECT id FROM recordings
          WHERE status = 'completed' AND created_at < now() - make_interval(days => @RetentionDays)
          ORDER BY created_at, id
          LIMIT @BatchSize
          FOR UPDATE SKIP LOCKED
        ), purged AS (
          DELETE FROM recordings AS r USING expired WHERE r.id = expired.id
          RETURNING r.id, r.user_id, r.blob_name
        ), audited AS (
          INSERT INTO audit_log (actor_type, actor_id, user_id, action, recording_id, outcome, details)
          SELECT 'system', 'lifecycle', user_id, 'recording.purge', id, 'success', jsonb_build_object('blobName', blob_name)
          FROM purged
        )
        SELECT count(*)::int FROM purged
        """;

    public static async Task<int> RunAsync(BenchOptions options)
    {
        var users = options.Int("users", 100_000);
        var recordings = options.Int("recordings", 10_000_000);
        var retentionSeconds = options.Int("retention-seconds", 120);
        var keep = options.Flag("keep");
        var result = new ResultFile("database", "PostgreSQL at scale: lists, storage, retention");
        var log = new StringBuilder();
        void Note(string text)
        {
            var line = $"[{DateTime.UtcNow:HH:mm:ss}] {text}";
            Console.WriteLine(line);
            log.AppendLine(line);
        }

        var services = await BenchServices.CreateAsync("scale");
        try
        {
            var loadSeconds = await ScaleData.GenerateAsync(services, users, recordings, Note);
            await using var owner = NpgsqlDataSource.Create(services.OwnerConnectionString);
            await using var app = NpgsqlDataSource.Create(services.AppConnectionString);
            await using var maintenance = NpgsqlDataSource.Create(services.MaintenanceConnectionString);
            // Every user's recorder rows are recorder_maintenance's to read: row-level security binds the owner.
            var shape = await ScaleData.DescribeAsync(maintenance);
            result.Line((string.Create(CultureInfo.InvariantCulture, $"Data: {recordings:N0} recordings across {users:N0} users (owner rank = floor(users × random()^2.5): a few heavy users), ") +
            string.Create(CultureInfo.InvariantCulture, $"created over the last 406 days, 95 % completed; sessions for half the recordings, edits 0.2 per recording; generated with ") +
            string.Create(CultureInfo.InvariantCulture, $"generate_series (tests/Recorder.Testing/Data/RealisticData.sql) in {loadSeconds:0} s including index builds and VACUUM ANALYZE.")));
            result.Code(shape);

            var random = new Random(42);
            var heavy = (await (await maintenance.OpenConnectionAsync()).QueryAsync<(string UserId, long Count)>(
                "SELECT user_id, count(*) FROM recordings WHERE status <> 'deleting' GROUP BY user_id ORDER BY count(*) DESC LIMIT 100")).AsList();

            // --- list pages ---------------------------------------------------------------------------
            Note("list pages");
            var pages = new List<(string UserId, DateTime? CreatedAt, long? Id)>();
            await using (var connection = await maintenance.OpenConnectionAsync())
            {
                for (var i = 0; i < Samples; i++)
                {
                    var (userId, count) = heavy[random.Next(heavy.Count)];
                    if (i % 10 == 0)
                    {
                        pages.Add((userId, null, null)); // first pages too
                        continue;
                    }
                    var position = random.NextInt64(count);
                    var cursor = await connection.QuerySingleAsync<(DateTime CreatedAt, long Id)>(
                        "SELECT created_at, id FROM recordings WHERE user_id = @userId AND status <> 'deleting' ORDER BY created_at DESC, id DESC OFFSET @position LIMIT 1",
                        new { userId, position });
                    pages.Add((userId, cursor.CreatedAt, cursor.Id));
                }
            }
            var keyset = await TimeAsync(app, pages, page => (page.UserId, ListSql, ListParameters(page.UserId, page.CreatedAt, page.Id, null)));
            // The floor: the same transaction and round trip with nothing to do. On a shared machine its p99 is the scheduler's.
            var floor = await TimeAsync(app, pages, page => (page.UserId, "SELECT 1", (object)new { }));
            // OFFSET at page 1000 (20 per page) for the users that have that many; shallower for the rest.
            var deepUsers = heavy.Where(h => h.Count > PageSize * 1000L).Select(h => h.UserId).ToList();
            var offsetTargets = deepUsers.Count > 0 ? deepUsers : [heavy[0].UserId];
            var offset = deepUsers.Count > 0 ? PageSize * 999 : (int)Math.Max(0, heavy[0].Count - PageSize - 1);
            var offsetSamples = Enumerable.Range(0, 200).Select(i => offsetTargets[i % offsetTargets.Count]).ToList();
            var offsetTimes = await TimeAsync(app, offsetSamples, userId => (userId, OffsetListSql, ListParameters(userId, null, null, offset)));
            // Keyset at the same depth, same users: the like-for-like ratio.
            var deepCursors = new List<(string UserId, DateTime CreatedAt, long Id)>();
            await using (var connection = await maintenance.OpenConnectionAsync())
            {
                foreach (var userId in offsetTargets)
                {
                    deepCursors.Add(await connection.QuerySingleAsync<(string, DateTime, long)>(
                        "SELECT user_id, created_at, id FROM recordings WHERE user_id = @userId AND status <> 'deleting' ORDER BY created_at DESC, id DESC OFFSET @offset LIMIT 1",
                        new { userId, offset = Math.Max(0, offset - 1) }));
                }
            }
            var deepKeyset = await TimeAsync(app, offsetSamples.Select((u, i) => deepCursors[i % deepCursors.Count]).ToList(),
                c => (c.UserId, ListSql, ListParameters(c.UserId, c.CreatedAt, c.Id, null)));

            // --- storage ----------------------------------------------------------------------------------
            Note("storage");
            var storageUsers = Enumerable.Range(0, Samples).Select(_ => "u" + random.Next(users).ToString("000000", CultureInfo.InvariantCulture)).ToList();
            var storage = await TimeAsync(app, storageUsers, userId => (userId, UsageSql + ";\n" + UsageByTypeSql, (object)new { UserId = userId }));
            var storageHeaviest = await TimeAsync(app, Enumerable.Repeat(heavy[0].UserId, 50).ToList(), userId => (userId, UsageSql + ";\n" + UsageByTypeSql, (object)new { UserId = userId }));
            var alertParameters = new { new RecordingsOptions().DefaultStorageLimitBytes, WarningPercent = 80m };
            var alertTimes = new Latencies();
            var alerted = 0;
            for (var i = 0; i < 3; i++)
            {
                await using var connection = await maintenance.OpenConnectionAsync();
                var stopwatch = Stopwatch.StartNew();
                alerted = (await connection.QueryAsync(new CommandDefinition(StorageAlertSql, alertParameters, commandTimeout: 600))).Count();
                alertTimes.Add(stopwatch.Elapsed);
            }

            // --- plans --------------------------------------------------------------------------------------
            Note("plans");
            var deep = deepCursors[0];
            var plans = new List<(string Title, string Plan)>
            {
                ("Keyset list page, heaviest user, first page (recorder_app, RLS)", await ExplainAsync(app, heavy[0].UserId, ListSql, ListParameters(heavy[0].UserId, null, null, null))),
                ($"Keyset list page, heavy user, {offset / PageSize + 1}th page (recorder_app, RLS)", await ExplainAsync(app, deep.UserId, ListSql, ListParameters(deep.UserId, deep.CreatedAt, deep.Id, null))),
                ($"OFFSET {offset} list page, same user (recorder_app, RLS): the baseline", await ExplainAsync(app, deep.UserId, OffsetListSql, ListParameters(deep.UserId, null, null, offset))),
                ("GET /api/me/storage: StorageQuota usage, heaviest user (recorder_app, RLS)", await ExplainAsync(app, heavy[0].UserId, UsageSql, new { UserId = heavy[0].UserId })),
                ("GET /api/me/storage: usage by type, heaviest user (recorder_app, RLS)", await ExplainAsync(app, heavy[0].UserId, UsageByTypeSql, new { UserId = heavy[0].UserId })),
                ("Storage alert, all users (recorder_maintenance)", await ExplainAsync(maintenance, null, StorageAlertSql, alertParameters)),
                ("Retention: the sweeper's SelectExpiredSql, batch 500 (recorder_maintenance)", await ExplainAsync(maintenance, null, SelectExpiredSql, new { DefaultDays = 365, Limit = (int?)new LifecycleOptions().BatchSize })),
                ("Retention, set-based purge of 1 000 (recorder_maintenance; rolled back)", await ExplainAsync(maintenance, null, SetBasedPurgeSql, new { RetentionDays = 365, BatchSize = SetBasedBatch })),
                ("The same purge with 002's foreign key (ON DELETE SET NULL) instead of 019's triggers: the baseline "
                    + "(recorder_maintenance; rolled back, the swap undone after it; runs second, on a warmer cache)",
                    await WithForeignKeyInsteadOfTriggersAsync(owner,
                        () => ExplainAsync(maintenance, null, SetBasedPurgeSql, new { RetentionDays = 365, BatchSize = SetBasedBatch }))),
            };

            // --- retention with a concurrent writer -------------------------------------------------------------
            Note("retention");
            var retention = await RetentionAsync(services, owner, app, maintenance, TimeSpan.FromSeconds(retentionSeconds), Note);

            WriteResults(result, keyset, floor, offsetTimes, deepKeyset, offset, offsetTargets.Count, storage, storageHeaviest, heavy[0], alertTimes, alerted, users, plans, retention, log);
            Console.WriteLine(result.Write(BenchServices.RepositoryRoot, options.Command));
        }
        finally
        {
            if (keep)
            {
                Console.WriteLine($"kept database {services.Database}");
            }
            else
            {
                await services.DisposeAsync();
            }
        }
        return 0;
    }

    private static object ListParameters(string userId, DateTime? afterCreatedAt, long? afterId, int? offset) => new
    {
        UserId = userId,
        Type = (string?)null,
        ProjectId = (int?)null,
        Status = (string?)null,
        TitlePattern = (string?)null,
        AfterCreatedAt = afterCreatedAt,
        AfterId = afterId,
        Take = PageSize + 1,
        Offset = offset ?? 0,
    };

    /// <summary>
    /// Each sample as the HTTP path runs it: a transaction as recorder_app with app.user_id set (UserTransaction),
    /// the query, commit. The time is the query's round trip alone.
    /// </summary>
    private static async Task<Latencies> TimeAsync<T>(NpgsqlDataSource app, IReadOnlyList<T> samples, Func<T, (string UserId, string Sql, object Parameters)> query)
    {
        var latencies = new Latencies();
        // Warm-up: the first uses of a connection prepare nothing server-side, but the pool and the catalog caches fill.
        foreach (var sample in samples.Take(20))
        {
            var (userId, sql, parameters) = query(sample);
            await app.RunAsUserAsync(userId, async (connection, transaction) => await connection.QueryAsync(new CommandDefinition(sql, parameters, transaction)), CancellationToken.None);
        }
        foreach (var sample in samples)
        {
            var (userId, sql, parameters) = query(sample);
            await app.RunAsUserAsync(userId, async (connection, transaction) =>
            {
                var stopwatch = Stopwatch.StartNew();
                await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, transaction));
                do
                {
                    while (await reader.ReadAsync())
                    {
                    }
                }
                while (await reader.NextResultAsync());
                latencies.Add(stopwatch.Elapsed);
                return 0;
            }, CancellationToken.None);
        }
        return latencies;
    }

    private static async Task<string> ExplainAsync(NpgsqlDataSource dataSource, string? userId, string sql, object parameters)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        if (userId is not null)
        {
            await connection.ExecuteAsync("SELECT set_config('app.user_id', @userId, true)", new { userId }, transaction);
        }
        var lines = await connection.QueryAsync<string>(new CommandDefinition("EXPLAIN (ANALYZE, BUFFERS) " + sql, parameters, transaction, commandTimeout: 600));
        await transaction.RollbackAsync();
        return string.Join('\n', lines);
    }

    /// <summary>Runs <paramref name="measure"/> with 002's foreign key in place of 019's triggers, then puts the triggers back.</summary>
    private static async Task<T> WithForeignKeyInsteadOfTriggersAsync<T>(NpgsqlDataSource owner, Func<Task<T>> measure)
    {
        await using var connection = await owner.OpenConnectionAsync();
        var triggers = (await connection.QueryAsync<string>(
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = ANY(@UnlinkTriggers) AND tgparentid = 0",
            new { UnlinkTriggers })).AsList();
        if (triggers.Count != UnlinkTriggers.Length)
        {
            throw new InvalidOperationException($"Expected 019's triggers {string.Join(", ", UnlinkTriggers)}; found {triggers.Count}.");
        }
        await using (var swap = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync(new CommandDefinition(ForeignKeyInsteadOfTriggersSql, transaction: swap, commandTimeout: 600));
            await swap.CommitAsync();
        }
        try
        {
            return await measure();
        }
        finally
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await connection.ExecuteAsync(
                "ALTER TABLE recording_sessions DROP CONSTRAINT recording_sessions_recording_id_fkey", transaction: transaction);
            foreach (var trigger in triggers)
            {
                await connection.ExecuteAsync(trigger, transaction: transaction);
            }
            await transaction.CommitAsync();
        }
    }

    private sealed record RetentionFigures(
        long ExpiredBefore, double SweeperSeconds, long SweeperMarked, long SweeperPurged, int SweeperRuns,
        double SetBasedSeconds, long SetBasedPurged,
        Latencies WriterBefore, Latencies WriterDuringSweeper, Latencies WriterDuringSetBased, long WriterErrors);

    /// <summary>
    /// The lifecycle sweeper as it ships (defaults: batches of 500, 50 batches a run), run again and again for the
    /// time given; then the set-based purge on what is left, up to 1 M rows or the same time; a writer inserts
    /// recordings through UploadService all along (its latency before the purge is the baseline).
    /// </summary>
    private static async Task<RetentionFigures> RetentionAsync(BenchServices services, NpgsqlDataSource owner, NpgsqlDataSource app, NpgsqlDataSource maintenance, TimeSpan limit, Action<string> note)
    {
        const string ExpiredSql = "SELECT count(*) FROM recordings WHERE status = 'completed' AND created_at < now() - interval '365 days'";
        const string DeletingSql = "SELECT count(*) FROM recordings WHERE status = 'deleting'";
        await using var maintenanceConnection = await maintenance.OpenConnectionAsync();
        var expiredBefore = await maintenanceConnection.ExecuteScalarAsync<long>(new CommandDefinition(ExpiredSql, commandTimeout: 0));

        // The app's own services, as the timer and the HTTP function get them.
        await using var core = services.CoreServices();
        var sweeper = core.GetRequiredService<RecordingLifecycleSweeper>();

        var writerPhase = 0; // 0 before, 1 during the sweeper, 2 during the set-based purge, 3 stop
        var phases = new[] { new Latencies(), new Latencies(), new Latencies() };
        long writerErrors = 0;
        var writerUsers = await services.SignInUsersAsync(8);
        var writerIds = await (await owner.OpenConnectionAsync()).QueryAsync<string>("SELECT id FROM users WHERE id LIKE 'bench-%' ORDER BY id");
        var uploads = core.GetRequiredService<UploadService>();
        var writers = writerIds.Select((userId, w) => Task.Run(async () =>
        {
            var caller = new Caller(userId, new HashSet<string>(), Caller.SessionMethod);
            var n = 0;
            while (Volatile.Read(ref writerPhase) < 3)
            {
                var phase = Volatile.Read(ref writerPhase);
                var stopwatch = Stopwatch.StartNew();
                var outcome = await uploads.CreateAsync(caller, new CreateUploadRequest { Title = $"Writer {w} #{n++}", RecordingType = "camera", MimeType = "video/webm", FileSize = 1024 }, RequestInfo.None, CancellationToken.None);
                if (outcome.Failure is not null)
                {
                    Interlocked.Increment(ref writerErrors);
                }
                else if (phase == Volatile.Read(ref writerPhase))
                {
                    phases[phase].Add(stopwatch.Elapsed);
                }
                await Task.Delay(20); // about 50 uploads a second per writer: steady traffic, not a second load test
            }
        })).ToList();
        _ = writerUsers;

        await Task.Delay(TimeSpan.FromSeconds(20));
        note($"writer baseline: {phases[0].Count} inserts, p99 {Latencies.Ms(phases[0].Percentile(99))} ms; sweeper for {limit.TotalSeconds:0} s");
        Volatile.Write(ref writerPhase, 1);
        var sweeperClock = Stopwatch.StartNew();
        var runs = 0;
        long marked = 0, purged = 0;
        while (sweeperClock.Elapsed < limit)
        {
            var run = await sweeper.RunAsync(CancellationToken.None);
            runs++;
            marked += run.MarkedForRetention;
            purged += run.Purged;
            if (run.MarkedForRetention == 0 && run.Purged == 0)
            {
                break;
            }
        }
        var sweeperSeconds = sweeperClock.Elapsed.TotalSeconds;
        note($"sweeper: {runs} runs, {marked} marked, {purged} purged in {sweeperSeconds:0} s; set-based purge");

        Volatile.Write(ref writerPhase, 2);
        var setBasedClock = Stopwatch.StartNew();
        long setBased = 0;
        var target = Math.Min(1_000_000, Math.Max(0, expiredBefore - purged));
        await using (var connection = await maintenance.OpenConnectionAsync())
        {
            while (setBased < target && setBasedClock.Elapsed < limit)
            {
                var batch = await connection.ExecuteScalarAsync<int>(new CommandDefinition(SetBasedPurgeSql, new { RetentionDays = 365, BatchSize = SetBasedBatch }, commandTimeout: 0));
                setBased += batch;
                if (batch == 0)
                {
                    break;
                }
            }
        }
        var setBasedSeconds = setBasedClock.Elapsed.TotalSeconds;
        note($"set-based: {setBased} purged in {setBasedSeconds:0} s");
        Volatile.Write(ref writerPhase, 3);
        await Task.WhenAll(writers);
        _ = await maintenanceConnection.ExecuteScalarAsync<long>(DeletingSql);
        return new RetentionFigures(expiredBefore, sweeperSeconds, marked, purged, runs, setBasedSeconds, setBased, phases[0], phases[1], phases[2], writerErrors);
    }

    private static void WriteResults(ResultFile result, Latencies keyset, Latencies floor, Latencies offsetTimes, Latencies deepKeyset, int offset, int offsetUsers,
        Latencies storage, Latencies storageHeaviest, (string UserId, long Count) heaviest, Latencies alertTimes, int alerted, int users,
        List<(string Title, string Plan)> plans, RetentionFigures retention, StringBuilder log)
    {
        string Row(Latencies l) => $"{Latencies.Ms(l.Percentile(50))} | {Latencies.Ms(l.Percentile(99))} | {Latencies.Ms(l.Max)} | {l.Count}";
        result.Section("List pages (GET /api/recordings), query round trip as recorder_app under RLS");
        result.Line("| Query | p50 ms | p99 ms | max ms | samples |");
        result.Line("|---|---:|---:|---:|---:|");
        result.Line($"| Keyset, random heavy user (top 100) and random page (1 in 10 a first page) | {Row(keyset)} |");
        result.Line($"| Keyset at depth {offset} (page {offset / PageSize + 1}), {offsetUsers} heaviest user(s) | {Row(deepKeyset)} |");
        result.Line($"| OFFSET {offset} (page {offset / PageSize + 1}), same users: the baseline | {Row(offsetTimes)} |");
        result.Line($"| `SELECT 1` in the same transaction shape, same samples: the round-trip floor | {Row(floor)} |");
        result.Line();
        result.Line((string.Create(CultureInfo.InvariantCulture, $"Ratio at the same depth: OFFSET p50 / keyset p50 = {offsetTimes.Percentile(50) / deepKeyset.Percentile(50):0}×. Target keyset p99 ≤ 2 ms: ") +
            string.Create(CultureInfo.InvariantCulture, $"{(keyset.Percentile(99) <= 2 ? "met" : "**missed**")} ({Latencies.Ms(keyset.Percentile(99))} ms; the `SELECT 1` floor's p99 in the same run: {Latencies.Ms(floor.Percentile(99))} ms).")));
        result.Section("Storage");
        result.Line("| Query | p50 ms | p99 ms | max ms | samples |");
        result.Line("|---|---:|---:|---:|---:|");
        result.Line($"| GET /api/me/storage (usage + by type, one round trip), random users | {Row(storage)} |");
        result.Line($"| The same, heaviest user ({heaviest.Count:N0} recordings) | {Row(storageHeaviest)} |");
        result.Line($"| Storage alert over all {users:N0} users (recorder_maintenance), 3 runs | {Row(alertTimes)} |");
        result.Line();
        result.Line($"The alert query found {alerted:N0} users at or over 80 % of their limit.");
        result.Section("Retention with a concurrent writer");
        var sweeperRate = (retention.SweeperPurged + 0.0) / retention.SweeperSeconds;
        var setRate = retention.SetBasedPurged / Math.Max(retention.SetBasedSeconds, 0.001);
        result.Line((string.Create(CultureInfo.InvariantCulture, $"{retention.ExpiredBefore:N0} completed recordings past 365 days at the start. Writer: 8 tasks creating recordings through UploadService ") +
            "(as POST /api/recordings/uploads does: quota lock, usage, insert, audit, SAS), each pausing 20 ms between uploads."));
        result.Line();
        result.Line("| Phase | Rows | Seconds | Rows/s | Writer p50 ms | Writer p99 ms | Writer max ms | Writer inserts |");
        result.Line("|---|---:|---:|---:|---:|---:|---:|---:|");
        result.Line($"| Before (baseline, 20 s) | – | 20 | – | {Latencies.Ms(retention.WriterBefore.Percentile(50))} | {Latencies.Ms(retention.WriterBefore.Percentile(99))} | {Latencies.Ms(retention.WriterBefore.Max)} | {retention.WriterBefore.Count} |");
        result.Line(string.Create(CultureInfo.InvariantCulture,
            $"| RecordingLifecycleSweeper as shipped ({retention.SweeperRuns} runs; {retention.SweeperMarked:N0} marked, {retention.SweeperPurged:N0} purged incl. blob deletes) | {retention.SweeperPurged:N0} | {retention.SweeperSeconds:0} | {sweeperRate:0} | {Latencies.Ms(retention.WriterDuringSweeper.Percentile(50))} | {Latencies.Ms(retention.WriterDuringSweeper.Percentile(99))} | {Latencies.Ms(retention.WriterDuringSweeper.Max)} | {retention.WriterDuringSweeper.Count} |"));
        result.Line(string.Create(CultureInfo.InvariantCulture,
            $"| Set-based purge, {SetBasedBatch:N0} a statement (rows only) | {retention.SetBasedPurged:N0} | {retention.SetBasedSeconds:0} | {setRate:0} | {Latencies.Ms(retention.WriterDuringSetBased.Percentile(50))} | {Latencies.Ms(retention.WriterDuringSetBased.Percentile(99))} | {Latencies.Ms(retention.WriterDuringSetBased.Max)} | {retention.WriterDuringSetBased.Count} |"));
        result.Line();
        result.Line((string.Create(CultureInfo.InvariantCulture, $"Targets: ≥ 20 000 rows/s — sweeper {(sweeperRate >= 20_000 ? "met" : "**missed**")} ({sweeperRate:0}), set-based {(setRate >= 20_000 ? "met" : "**missed**")} ({setRate:0}); ") +
            string.Create(CultureInfo.InvariantCulture, $"writer p99 ≤ 20 ms during the purge — sweeper {(retention.WriterDuringSweeper.Percentile(99) <= 20 ? "met" : "**missed**")}, set-based {(retention.WriterDuringSetBased.Percentile(99) <= 20 ? "met" : "**missed**")}. ") +
            string.Create(CultureInfo.InvariantCulture, $"Writer errors: {retention.WriterErrors}.")));
        result.Section("EXPLAIN (ANALYZE, BUFFERS)");
        foreach (var (title, plan) in plans)
        {
            result.Line("### " + title);
            result.Line();
            result.Code(plan);
            result.Line();
        }
        result.Section("Run log");
        result.Code(log.ToString());
    }

    private static string Constant<T>(string name)
        => (string)(typeof(T).GetField(name, BindingFlags.NonPublic | BindingFlags.Static)?.GetRawConstantValue()
            ?? throw new InvalidOperationException($"{typeof(T).Name}.{name} is gone: the bench reads the app's own SQL."));
}
