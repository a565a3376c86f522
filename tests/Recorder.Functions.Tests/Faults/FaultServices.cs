using Dapper;
using Npgsql;
using Recorder.Core.Configuration;
using Recorder.Functions.Tests.DevHost;
using Recorder.Functions.Tests.Ingest;
using Recorder.Testing;
using Recorder.Testing.Media;
using Recorder.Testing.Services;
using Recorder.Testing.Uploads;
using Xunit;

namespace Recorder.Functions.Tests.Faults;

/// <summary>
/// The fault tests run one at a time: each stops a service or kills a host and holds the app to a time bound,
/// which another fault test's load on the same two cores should not eat into.
/// </summary>
[CollectionDefinition(Name)]
public sealed class FaultCollection
{
    public const string Name = "Faults";
}

/// <summary>
/// A fault test class's own PostgreSQL and Azurite (<see cref="PrivateServices"/>), which its test stops and
/// starts under the app, and what every fault test does with them: the app's settings for fast recovery, users,
/// uploads through the API, and the bound every recording must meet.
/// </summary>
public sealed class FaultServices : IAsyncLifetime
{
    public const string SessionSecret = "fault-session-secret";

    /// <summary>The ingest lease of hosts with fast recovery (the app's default is minutes): a dead worker's recording is taken up again after it.</summary>
    public static readonly TimeSpan ShortLease = TimeSpan.FromSeconds(10);

    /// <summary>The issue's bound after a fault that may leave a worker's lease behind: every recording terminal within the lease plus a minute.</summary>
    public static readonly TimeSpan RecoveryBound = ShortLease + TimeSpan.FromMinutes(1);

    // The IngestRecoverySweep timer's: it sends the ingest outbox and re-queues recordings whose worker died.
    private const string RecoverySweepScheduleSetting = "IngestRecoverySweepSchedule";

    private PrivateServices services = null!;

    public PrivateServices Services => services;

    public async Task InitializeAsync() => services = await PrivateServices.StartAsync();

    public async Task DisposeAsync() => await services.DisposeAsync();

    /// <summary>The dev host's settings over these services, with its event bridge polling every 200 ms.</summary>
    /// <param name="ffprobePath">A <see cref="ToolGate"/> to hold ingest at the probe; null for the real ffprobe.</param>
    /// <param name="fastRecovery">
    /// True: the <see cref="ShortLease"/> and the recovery sweep every 5 s resending what is 2 s old, so a bound of
    /// the lease plus a minute is quick to test. False: the app's own lease and the sample settings' recovery
    /// schedule, for a bound that the lease is no part of.
    /// </param>
    public Dictionary<string, string?> HostSettings(string? ffprobePath, bool fastRecovery)
    {
        var settings = RunningDevHost.BaselineSettings();
        foreach (var (key, value) in services.ConnectionSettings())
        {
            settings[key] = value;
        }
        settings["Auth:SessionSecrets:0"] = SessionSecret;
        // The same queue for every host of the test: a restarted host takes up what the killed one left.
        settings["IngestQueueName"] = "ingest";
        settings["Ingest:StorageAccountTopic"] = IngestTestHost.Topic;
        settings["DevHost:EventBridge"] = "true";
        settings["DevHost:EventBridgeIntervalMs"] = "200";
        if (fastRecovery)
        {
            settings["Ingest:LeaseDuration"] = ShortLease.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
            settings["Ingest:OutboxResendAfter"] = "00:00:02";
            settings[RecoverySweepScheduleSetting] = "*/5 * * * * *";
        }
        else
        {
            settings[RecoverySweepScheduleSetting] = LocalSettings.ReadValues(Path.Combine(TestEnvironment.RepositoryRoot, "local.settings.sample.json"))[RecoverySweepScheduleSetting];
        }
        if (ffprobePath is not null)
        {
            settings["Media:FfprobePath"] = ffprobePath;
        }
        return settings;
    }

    /// <summary>New users, each with an API client of the host at <paramref name="baseAddress"/> that sends their session cookie.</summary>
    public async Task<IReadOnlyList<HttpClient>> SignInAsync(Uri baseAddress, int count)
    {
        var cookies = await TestSessions.SignInAsync(services.OwnerConnectionString, SessionSecret,
            [.. Enumerable.Range(0, count).Select(_ => "user-" + Guid.NewGuid().ToString("N")[..12])]);
        return [.. cookies.Select(cookie =>
        {
            var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
            client.DefaultRequestHeaders.Add("Cookie", cookie);
            return client;
        })];
    }

    /// <summary>The <paramref name="index"/>th of a round of the good recordings (camera, microphone, Ogg, in turn).</summary>
    public static MediaSample Sample(int index) => MediaSample.Recordings[index % MediaSample.Recordings.Count];

    /// <summary>
    /// Uploads <paramref name="count"/> recordings (the users in turn) and waits until each is held at the gate's
    /// probe: every one claimed, its worker holding its lease and its queue message.
    /// </summary>
    public static async Task<IReadOnlyList<long>> UploadAndHoldAtProbeAsync(IReadOnlyList<HttpClient> users, ToolGate gate, int count)
    {
        var ids = new List<long>();
        for (var i = 0; i < count; i++)
        {
            var upload = await PendingUpload.RequestAsync(users[i % users.Count], Sample(i));
            await upload.PutAsync();
            ids.Add(upload.RecordingId);
        }
        await Eventually.TrueAsync(() => gate.Calls >= count, "every recording is being probed");
        return ids;
    }

    /// <summary>Upload URLs for <paramref name="count"/> more recordings (the users in turn), whose files the test sends during the fault.</summary>
    public static async Task<IReadOnlyList<PendingUpload>> RequestUploadsAsync(IReadOnlyList<HttpClient> users, int count)
    {
        var uploads = new List<PendingUpload>();
        for (var i = 0; i < count; i++)
        {
            uploads.Add(await PendingUpload.RequestAsync(users[i % users.Count], Sample(i)));
        }
        return uploads;
    }

    /// <summary>
    /// Waits until none of <paramref name="ids"/> is 'uploading' or 'processing', failing with their states once
    /// <paramref name="bound"/> has passed since the fault ended (<paramref name="since"/>); then every one must be
    /// 'completed' (good media, so a failure is the fault's doing). Returns how long they took.
    /// </summary>
    public async Task<TimeSpan> AssertAllCompleteWithinAsync(IReadOnlyCollection<long> ids, DateTime since, TimeSpan bound)
    {
        IReadOnlyList<(long Id, string Status, string? FailureCode)> states;
        while (true)
        {
            await using (var connection = new NpgsqlConnection(services.MaintenanceConnectionString))
            {
                states = [.. await connection.QueryAsync<(long, string, string?)>(
                    "SELECT id, status, failure_code FROM recordings WHERE id = ANY(@ids) ORDER BY id", new { ids = ids.ToArray() })];
            }
            if (states.Count == ids.Count && states.All(state => state.Status is not ("uploading" or "processing")))
            {
                break;
            }
            if (DateTime.UtcNow > since + bound)
            {
                Assert.Fail($"{bound.TotalSeconds:0} s after the fault ended, not every recording is terminal: {Describe(states)}");
            }
            await Task.Delay(200);
        }
        Assert.True(states.All(state => state.Status == "completed"), $"Every recording should complete: {Describe(states)}");
        return DateTime.UtcNow - since;
    }

    /// <summary>
    /// One ingest audit and one thumbnail per recording, no blob without its row, no row without its blobs, nothing
    /// unsent: polled for a while, since a completed WebM's seekable copy may still be on its way.
    /// </summary>
    public async Task AssertInvariantsHoldAsync()
    {
        var report = await RecordingInvariants.CheckAsync(services.MaintenanceConnectionString, services.Blobs(), services.Storage);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!report.Holds && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
            report = await RecordingInvariants.CheckAsync(services.MaintenanceConnectionString, services.Blobs(), services.Storage);
        }
        Assert.True(report.Holds, report.ToString());
    }

    private static string Describe(IEnumerable<(long Id, string Status, string? FailureCode)> states)
        => string.Join(", ", states.Select(state => $"{state.Id} {state.Status}{(state.FailureCode is null ? "" : " " + state.FailureCode)}"));
}

/// <summary>A recording whose upload URL the API issued, and the file the page will send to it.</summary>
public sealed record PendingUpload(UploadTicket Ticket, MediaSample Sample, byte[] Content)
{
    public long RecordingId => Ticket.RecordingId;

    public static async Task<PendingUpload> RequestAsync(HttpClient user, MediaSample sample)
    {
        var content = await File.ReadAllBytesAsync(sample.Path);
        return new PendingUpload(await BrowserUploads.RequestAsync(user, sample, content.Length), sample, content);
    }

    /// <summary>The whole file in one Put Blob; its recording is then ingested.</summary>
    public Task PutAsync() => BrowserUploads.PutAsync(Ticket, Sample, Content);
}
