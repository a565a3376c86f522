using System.Diagnostics;
using System.Globalization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Recorder.Bench.Common;
using Recorder.Bench.Database;
using Recorder.Core;
using Recorder.Core.Api;
using Recorder.Core.Audit;
using Recorder.Core.Lifecycle;
using Recorder.Core.Security;
using Recorder.Core.Uploads;
using Recorder.Testing;
using Recorder.Testing.Services;

namespace Recorder.Bench.Sweeps;

/// <summary>
/// The lifecycle sweep against its floors, in one run: <c>--recordings</c> completed recordings past retention, each
/// with its upload and thumbnail blob in Azurite, swept by <see cref="RecordingLifecycleSweeper"/> as the timer runs it;
/// the floors are the same number of blobs deleted with the same client at its best parallelism, and the same number of
/// rows deleted set-based. A writer creates recordings through UploadService all along; its latency per phase is the
/// cost the sweep puts on the API.
/// </summary>
public static class SweepBench
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private const int Users = 100;
    private const int Writers = 8;
    // The sweeper's batch (Lifecycle:BatchSize as shipped).
    private const int PlanBatch = 500;
    private static readonly int[] FloorParallelism = [16, 64, 256];
    private static readonly BinaryData BlobContent = BinaryData.FromBytes(new byte[1024]);

    // Completed recordings 400 days old (past the default 365), spread over the users, as ingest leaves them.
    private const string SeedSql = """
        INSERT INTO recordings (user_id, title, recording_type, duration, file_size, mime_type, blob_name, thumbnail_blob_name,
                                quality, status, metadata, created_at, updated_at, completed_at)
        SELECT u.id, 'Expired ' || g, 'camera', 60, 1024, 'video/webm', u.id || '/' || @Tag || g || '/' || md5(g::text) || '.webm',
               u.id || '/' || @Tag || g || '/thumbnail.jpg', 'high', 'completed', '{}'::jsonb,
               now() - interval '400 days', now() - interval '400 days', now() - interval '400 days'
        FROM generate_series(1, @Count) AS g
        JOIN LATERAL (SELECT (array_agg(id ORDER BY id))[1 + g % @Users] AS id FROM users WHERE id LIKE 'bench-%') AS u ON true
        RETURNING blob_name AS BlobName, thumbnail_blob_name AS ThumbnailBlobName
        """;

    public static async Task<int> RunAsync(BenchOptions options)
    {
        // The Azure SDK's activities (per storage call) are off unless asked for.
        AppContext.SetSwitch("Azure.Experimental.EnableActivitySource", true);
        var recordings = options.Int("recordings", 1000);
        // A PostgreSQL and an Azurite of the run's own: thousands of blobs written and deleted as fast as they go would slow the
        // shared test services for everyone else (and be slowed by them). Azurite in memory: on disk it saves its whole
        // metadata database over and over as it grows, its cost and not storage's (bench/notes/sweeps.md).
        await using var services = await PrivateServices.StartAsync(storageInMemory: !options.Flag("storage-on-disk"));
        var userIds = Enumerable.Range(0, Users).Select(i => $"bench-{i:000}").ToList();
        await TestSessions.SignInAsync(services.OwnerConnectionString, BenchServices.SessionSecret, userIds);
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(BenchServices.AppSettings("sweeps-ingest"))
            .AddInMemoryCollection(services.ConnectionSettings())
            .Build();
        var collection = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration);
        collection.AddRecorderCore(configuration);
        await using var core = collection.BuildServiceProvider();
        var blobs = core.GetRequiredService<BlobServiceClient>();
        await using var maintenance = NpgsqlDataSource.Create(
            services.Postgres.ConnectionString(PrivateServices.DatabaseName, TestDatabases.MaintenanceRole));

        // The writer: what the API does meanwhile.
        var phase = 0;
        var phases = new List<PhaseFigures> { new("Before (writer alone, 15 s)", new Latencies()) { Items = "–", Seconds = "15", Rate = "–" } };
        long writerErrors = 0;
        var stop = false;
        var uploads = core.GetRequiredService<UploadService>();
        var writers = userIds.Take(Writers).Select((userId, w) => Task.Run(async () =>
        {
            var caller = new Caller(userId, new HashSet<string>(), Caller.SessionMethod);
            var n = 0;
            while (!Volatile.Read(ref stop))
            {
                var current = Volatile.Read(ref phase);
                var stopwatch = Stopwatch.StartNew();
                var outcome = await uploads.CreateAsync(caller, new CreateUploadRequest
                {
                    Title = $"Writer {w} #{n++}", RecordingType = "camera", MimeType = "video/webm", FileSize = 1024,
                }, RequestInfo.None, CancellationToken.None);
                if (outcome.Failure is not null)
                {
                    Interlocked.Increment(ref writerErrors);
                }
                else if (current == Volatile.Read(ref phase))
                {
                    phases[current].Latencies.Add(stopwatch.Elapsed);
                }
                await Task.Delay(20); // about 50 uploads a second per writer: steady traffic, not a second load test
            }
        })).ToList();
        void Phase(string name)
        {
            lock (phases)
            {
                phases.Add(new PhaseFigures(name, new Latencies()));
                Volatile.Write(ref phase, phases.Count - 1);
            }
            Console.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {name}");
        }
        // What the phase just ended did, for its row.
        void Figures(string items, double seconds, string rate)
        {
            var current = phases[Volatile.Read(ref phase)];
            (current.Items, current.Seconds, current.Rate) = (items, seconds.ToString("0.0", Invariant), rate);
        }
        await Task.Delay(TimeSpan.FromSeconds(15));

        // Floor 1: the same number of blobs (two a recording), deleted with the same client, at each parallelism; once more
        // after the sweep at the best of them, since Azurite's pace drifts over a run.
        var blobCount = recordings * 2;
        var floorRuns = new List<FloorRun>();
        var scratch = blobs.GetBlobContainerClient(services.Storage.UploadsContainer);
        async Task<FloorRun> DeleteFloorAsync(int parallelism, string when)
        {
            var names = Enumerable.Range(0, blobCount).Select(i => $"floor-{when}-{parallelism}/{i}").ToList();
            await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 64 },
                async (name, token) => await scratch.GetBlobClient(name).UploadAsync(BlobContent, token));
            Phase($"Blob-delete floor {when}, {parallelism} in flight ({blobCount:N0} blobs)");
            var clock = Stopwatch.StartNew();
            FloorRun run;
            try
            {
                await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = parallelism },
                    async (name, token) => await scratch.GetBlobClient(name).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: token));
                run = new FloorRun(parallelism, clock.Elapsed.TotalSeconds, null);
            }
            catch (Exception exception) when (exception is RequestFailedException or AggregateException or OperationCanceledException)
            {
                // Storage that fails at this parallelism is no floor at it; the others still count.
                run = new FloorRun(parallelism, clock.Elapsed.TotalSeconds, exception.GetType().Name);
                await foreach (var left in scratch.GetBlobsAsync(new GetBlobsOptions { Prefix = $"floor-{when}-{parallelism}/" }))
                {
                    await scratch.DeleteBlobIfExistsAsync(left.Name);
                }
            }
            floorRuns.Add(run);
            Figures(blobCount.ToString("N0", Invariant) + " blobs", run.Seconds,
                run.Failure is { } failure ? $"failed ({failure})" : (blobCount / run.Seconds).ToString("0", Invariant) + " blobs/s");
            return run;
        }
        foreach (var parallelism in FloorParallelism)
        {
            await DeleteFloorAsync(parallelism, "before");
        }

        // Floor 2: the same number of rows, deleted set-based with their audit rows (no blobs).
        await using (var connection = await maintenance.OpenConnectionAsync())
        {
            await connection.QueryAsync(new CommandDefinition(SeedSql, new { Tag = "set-", Count = recordings, Users }, commandTimeout: 0));
            await connection.ExecuteAsync("ANALYZE recordings");
        }
        Phase($"Set-based purge, 1 000 a statement ({recordings:N0} rows, no blobs)");
        var setBasedClock = Stopwatch.StartNew();
        long setBased = 0;
        await using (var connection = await maintenance.OpenConnectionAsync())
        {
            int batch;
            do
            {
                batch = await connection.ExecuteScalarAsync<int>(new CommandDefinition(ScaleBench.SetBasedPurgeSql, new { RetentionDays = 365, BatchSize = 1000 }, commandTimeout: 0));
                setBased += batch;
            }
            while (batch > 0);
        }
        var setBasedSeconds = setBasedClock.Elapsed.TotalSeconds;
        Figures(setBased.ToString("N0", Invariant) + " rows", setBasedSeconds, (setBased / setBasedSeconds).ToString("0", Invariant) + " rows/s");

        // The sweep: the same number of recordings, each with its two blobs.
        List<(string BlobName, string ThumbnailBlobName)> seeded;
        await using (var connection = await maintenance.OpenConnectionAsync())
        {
            seeded = (await connection.QueryAsync<(string BlobName, string ThumbnailBlobName)>(
                new CommandDefinition(SeedSql, new { Tag = "sweep-", Count = recordings, Users }, commandTimeout: 0))).AsList();
            await connection.ExecuteAsync("ANALYZE recordings");
        }
        var thumbnails = blobs.GetBlobContainerClient(services.Storage.ThumbnailsContainer);
        await Parallel.ForEachAsync(seeded, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (recording, token) =>
        {
            await scratch.GetBlobClient(recording.BlobName).UploadAsync(BlobContent, token);
            await thumbnails.GetBlobClient(recording.ThumbnailBlobName).UploadAsync(BlobContent, token);
        });
        var plans = await BatchPlansAsync(maintenance);
        var sweeper = core.GetRequiredService<RecordingLifecycleSweeper>();
        var operations = new OperationTimes("recorder_maintenance");
        Phase($"RecordingLifecycleSweeper ({recordings:N0} recordings, {blobCount:N0} blobs)");
        var sweepClock = Stopwatch.StartNew();
        long marked = 0, purged = 0, failures = 0;
        var runSeconds = new List<double>();
        while (true)
        {
            var runClock = Stopwatch.StartNew();
            var run = await sweeper.RunAsync(CancellationToken.None);
            runSeconds.Add(runClock.Elapsed.TotalSeconds);
            (marked, purged, failures) = (marked + run.MarkedForRetention, purged + run.Purged, failures + run.PurgeFailures);
            if (run.MarkedForRetention == 0 && run.Purged == 0)
            {
                break;
            }
        }
        // The last run found nothing: it is how the bench knows the sweep is done, and it is not counted.
        var sweepSeconds = runSeconds[..^1].Sum();
        operations.Dispose();
        var sweepDatabaseSeconds = operations.DatabaseSeconds;
        Figures(string.Create(Invariant, $"{purged:N0} rows, {purged * 2:N0} blobs"), sweepSeconds,
            string.Create(Invariant, $"{purged / sweepSeconds:0} rows/s, {purged * 2 / sweepSeconds:0} blobs/s"));
        var sweepWriter = phases[^1].Latencies;
        var bestBefore = floorRuns.Where(run => run.Failure is null).MinBy(run => run.Seconds);
        if (bestBefore is not null)
        {
            await DeleteFloorAsync(bestBefore.Parallelism, "after");
        }
        Volatile.Write(ref stop, true);
        await Task.WhenAll(writers);

        long blobsLeft = 0;
        await foreach (var _ in scratch.GetBlobsAsync(new GetBlobsOptions(), CancellationToken.None))
        {
            blobsLeft++;
        }
        await foreach (var _ in thumbnails.GetBlobsAsync(new GetBlobsOptions(), CancellationToken.None))
        {
            blobsLeft++;
        }
        long rowsLeft, purgeAudits;
        await using (var connection = await maintenance.OpenConnectionAsync())
        {
            rowsLeft = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM recordings WHERE created_at < now() - interval '365 days'");
            purgeAudits = await connection.ExecuteScalarAsync<long>(
                "SELECT count(*) FROM audit_log WHERE action = 'recording.purge' AND details ->> 'blobName' LIKE '%/sweep-%'");
        }

        WriteResults(options, recordings, floorRuns, setBased, setBasedSeconds, marked, purged, failures, runSeconds, sweepSeconds,
            sweepDatabaseSeconds, operations, plans, phases, sweepWriter, writerErrors, blobsLeft, rowsLeft, purgeAudits);
        return 0;
    }

    /// <summary>
    /// EXPLAIN ANALYZE of the sweeper's mark and purge of one batch of the seeded recordings, locked as the sweeper locks them,
    /// in a transaction rolled back: where a batch's database time goes, each trigger and foreign key included.
    /// </summary>
    private static async Task<(string Mark, string Purge)> BatchPlansAsync(NpgsqlDataSource maintenance)
    {
        await using var connection = await maintenance.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var ids = (await connection.QueryAsync<long>(new CommandDefinition(
            "SELECT id FROM recordings WHERE status = 'completed' AND created_at < now() - interval '365 days' ORDER BY created_at, id LIMIT @PlanBatch " +
            "FOR UPDATE",
            new { PlanBatch }, transaction))).ToArray();
        async Task<string> ExplainAsync(string sql, object parameters)
            => string.Join('\n', await connection.QueryAsync<string>(new CommandDefinition(
                "EXPLAIN (ANALYZE, BUFFERS) " + sql, parameters, transaction, commandTimeout: 0)));
        var mark = await ExplainAsync(RecordingLifecycleSweeper.MarkExpiredSql, new { Ids = ids });
        var purge = await ExplainAsync(RecordingLifecycleSweeper.PurgeSql,
            new { Ids = ids, RecordingLifecycleSweeper.ActorId, Action = AuditActions.RecordingPurge });
        await transaction.RollbackAsync();
        return (mark, purge);
    }

    private static void WriteResults(BenchOptions options, int recordings, List<FloorRun> floorRuns,
        long setBased, double setBasedSeconds, long marked, long purged, long failures, List<double> runSeconds, double sweepSeconds,
        double sweepDatabaseSeconds, OperationTimes operations, (string Mark, string Purge) plans, List<PhaseFigures> phases, Latencies sweepWriter, long writerErrors,
        long blobsLeft, long rowsLeft, long purgeAudits)
    {
        var invariant = CultureInfo.InvariantCulture;
        var blobCount = recordings * 2;
        var best = floorRuns.Where(run => run.Failure is null).MaxBy(run => blobCount / run.Seconds)
            ?? throw new InvalidOperationException("Every blob-delete floor failed: " + string.Join(", ", floorRuns.Select(run => run.Failure)));
        var floorRate = blobCount / best.Seconds;
        var sweepBlobRate = purged * 2 / sweepSeconds;
        var ratio = sweepBlobRate / floorRate;
        var databaseRate = purged / sweepDatabaseSeconds;
        var setRate = setBased / setBasedSeconds;

        var result = new ResultFile("sweeps", "Retention sweep against its floors: blob deletions and set-based row deletions");
        result.Line(string.Create(invariant,
            $"{recordings:N0} completed recordings 400 days old across {Users} users, each with an upload and a thumbnail blob (1 KB), in a PostgreSQL and an Azurite of the run's own (tests/Recorder.Testing `PrivateServices`; ") +
            (options.Flag("storage-on-disk") ? "Azurite on disk, `--storage-on-disk`); " : "Azurite in memory, `--inMemoryPersistence`); ") +
            "RecordingLifecycleSweeper as the timer runs it (defaults: batches of 500, 50 batches a run; run until a run finds nothing), " +
            "in the bench process with the app's own services and BlobServiceClient. The floors, in the same run: the same number of blobs " +
            $"deleted with the same client (DeleteIfExists) at {string.Join(", ", FloorParallelism)} in flight, and again after the sweep at the best of those (Azurite's pace drifts " +
            "over a run), the best of all counted; the same " +
            "number of rows deleted set-based (1 000 a statement with their audit rows, no blobs). " +
            $"A writer ({Writers} tasks, each creating a recording through UploadService, then pausing 20 ms) runs through every phase.");
        result.Section("Figures");
        result.Table(["Phase", "Items", "Seconds", "Per second", "Writer p50 ms", "Writer p99 ms", "Writer max ms", "Writer inserts"],
            phases.Select(p => (IReadOnlyList<string>)
            [
                p.Name, p.Items, p.Seconds, p.Rate,
                Latencies.Ms(p.Latencies.Percentile(50)),
                Latencies.Ms(p.Latencies.Percentile(99)),
                Latencies.Ms(p.Latencies.Max),
                p.Latencies.Count.ToString(invariant),
            ]));
        result.Line();
        result.Line(string.Create(invariant,
            $"The sweep: {runSeconds.Count} runs ({string.Join(", ", runSeconds.Select(r => r.ToString("0.0", invariant)))} s; the last found nothing ") +
            string.Create(invariant, $"and is not counted), {marked:N0} marked, {purged:N0} purged, {failures} left for a later run. Its database side: ") +
            string.Create(invariant, $"{operations.DatabaseCommands:N0} statements as recorder_maintenance taking {sweepDatabaseSeconds:0.00} s in all (Npgsql's command ") +
            string.Create(invariant, $"activities, from sent to read), {databaseRate:0} rows/s. Afterwards: {blobsLeft} blobs left in the two containers, ") +
            string.Create(invariant, $"{rowsLeft} expired rows left, {purgeAudits:N0} purge audit rows for the swept recordings. Writer errors: {writerErrors}."));
        result.Section("Where the sweep's time goes");
        result.Line("Per operation over all runs of the sweep (the empty last run included): the database's statements as recorder_maintenance " +
            "(sequential within a run), and the storage calls (overlapping: their sum is not wall time).");
        result.Line();
        result.Table(["Operation", "Count", "Seconds in all"],
            operations.Database.Take(8).Select(entry => (IReadOnlyList<string>)
                [$"SQL: `{(entry.Operation.Length > 90 ? entry.Operation[..90] + "…" : entry.Operation).Replace("|", "\\|", StringComparison.Ordinal)}`",
                 entry.Count.ToString(invariant), entry.Seconds.ToString("0.000", invariant)])
            .Concat(operations.Storage.Select(entry => (IReadOnlyList<string>)
                [$"Storage: {entry.Operation}", entry.Count.ToString(invariant), entry.Seconds.ToString("0.000", invariant)])));
        result.Line();
        result.Line(string.Create(invariant, $"One batch of the sweeper's database side, {PlanBatch} of the seeded recordings, before the sweep ") +
            "(EXPLAIN (ANALYZE, BUFFERS) as recorder_maintenance, rolled back): the mark, then the purge of the same rows. The " +
            "`Trigger` lines are the per-row and per-statement triggers and foreign keys each statement fires.");
        result.Code(plans.Mark);
        result.Code(plans.Purge);
        result.Section("Against the targets");
        result.Table(["Target", "Measured", "Met"],
        [
            ["sweep ≥ 50 % of the blob-delete floor", string.Create(invariant, $"{ratio:P0} ({sweepBlobRate:0} / {floorRate:0} blobs/s, floor at {best.Parallelism} in flight)"), ratio >= 0.5 ? "yes" : "**no**"],
            ["writer p99 ≤ 20 ms during the sweep", Latencies.Ms(sweepWriter.Percentile(99)) + " ms", sweepWriter.Percentile(99) <= 20 ? "yes" : "**no**"],
            ["database side of the sweep ≥ 20 000 rows/s", string.Create(invariant, $"{databaseRate:0} rows/s (set-based floor {setRate:0} rows/s wall)"), databaseRate >= 20_000 ? "yes" : "**no**"],
            ["nothing left, every purge audited", string.Create(invariant, $"{blobsLeft} blobs, {rowsLeft} rows left; {purgeAudits:N0} audits"), blobsLeft == 0 && rowsLeft == 0 && purgeAudits == purged ? "yes" : "**no**"],
        ]);
        Console.WriteLine(result.Write(BenchServices.RepositoryRoot, options.Command));
        Console.WriteLine(string.Create(invariant, $"sweep {sweepBlobRate:0} blobs/s against {floorRate:0} ({ratio:P0}); database side {databaseRate:0} rows/s; writer p99 {sweepWriter.Percentile(99):0.0} ms"));
    }

    /// <summary>A row of the figures: the phase, what it did, and the writer's latencies while it ran.</summary>
    private sealed record PhaseFigures(string Name, Latencies Latencies)
    {
        public string Items { get; set; } = "";

        public string Seconds { get; set; } = "";

        public string Rate { get; set; } = "";
    }

    /// <summary>One blob-delete floor: its seconds, or why storage failed it at that parallelism.</summary>
    private sealed record FloorRun(int Parallelism, double Seconds, string? Failure);
}
