using System.Net;
using Recorder.Functions.Tests.Api;
using Recorder.Functions.Tests.Ingest;
using Recorder.Functions.Tests.Sessions;
using Recorder.Testing;
using Recorder.Testing.Media;
using Xunit;

namespace Recorder.Functions.Tests.LiveUploads;

/// <summary>
/// The ingest host with the recovery timer running every second and a silence timeout of a few seconds: the whole path of a
/// live recording whose browser never comes back, from its blocks to 'completed'.
/// </summary>
public sealed class LiveRecoveryTestHost : IngestTestHost
{
    public static readonly TimeSpan SilenceTimeout = TimeSpan.FromSeconds(3);

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["IngestRecoverySweepSchedule"] = "* * * * * *";
        settings["LiveUpload:SilenceTimeout"] = SilenceTimeout.ToString();
        // Its pages keep in contact many times a second: every call reads (BlockListReadTests bound the reads).
        settings["LiveUpload:BlockListReadInterval"] = "00:00:00";
    }
}

/// <summary>A browser that stages a recording while recording, keeps in contact, then is gone: the server commits and ingests it.</summary>
public sealed class LiveRecoveryEndToEndTests(LiveRecoveryTestHost host) : IClassFixture<LiveRecoveryTestHost>
{
    [Fact]
    public async Task A_live_recording_whose_browser_goes_silent_completes_recovered_with_the_duration_it_staged()
    {
        var user = await host.Api.SignInNewUserAsync();
        var sessionId = await user.StartAsync();
        var ticket = await user.CreateLiveAsync(body => body["sessionId"] = sessionId);
        var id = ticket.RecordingId();
        // Cut inside the fourth cluster, as a tab that dies mid-block leaves it.
        var staged = (await File.ReadAllBytesAsync(TestEnvironment.MediaFixture("chrome-camera.webm")))[..100_000];
        var blocks = LiveUploadCalls.Split(staged, 16_000);

        // Twice the silence timeout of staging and heartbeats: contact keeps the recording the browser's.
        var until = DateTime.UtcNow + 2 * LiveRecoveryTestHost.SilenceTimeout;
        var sent = 0;
        while (DateTime.UtcNow < until || sent < blocks.Count)
        {
            if (sent < blocks.Count)
            {
                await ticket.StageAsync(blocks.Skip(sent++).Take(1));
            }
            var report = new { stagedBytes = blocks.Take(sent).Sum(block => block.Bytes.Length), stagedSeconds = sent * 0.5 };
            await (await user.StagedHeartbeatAsync(sessionId, report)).AssertOkAsync(HttpStatusCode.NoContent);
            await Task.Delay(500);
        }
        var meanwhile = await (await user.Client.GetAsync($"api/recordings/{id}")).AssertOkAsync();
        Assert.Equal("uploading", meanwhile.GetProperty("status").GetString());

        var recording = await host.WaitForOutcomeAsync(user, id);

        Assert.Equal(("completed", true, true, staged.LongLength), (recording.GetProperty("status").GetString(),
            recording.GetProperty("live").GetBoolean(), recording.GetProperty("recovered").GetBoolean(),
            recording.GetProperty("fileSize").GetInt64()));
        var expected = await PacketEndAsync(staged);
        Assert.InRange((double)recording.GetProperty("duration").GetDecimal(), expected.TotalSeconds - 0.1, expected.TotalSeconds + 0.1);
        var recovery = recording.GetProperty("metadata").GetProperty("recovery");
        Assert.Equal((blocks.Count, blocks.Count * 0.5m, "active"), (recovery.GetProperty("blocks").GetInt32(),
            recovery.GetProperty("reportedSeconds").GetDecimal(), recovery.GetProperty("session").GetProperty("status").GetString()));
        await (await user.RenewAsync(id)).AssertProblemAsync(HttpStatusCode.Conflict);
        // Players can seek it: its seekable copy agrees with the duration of the whole frames it holds.
        await Eventually.TrueAsync(async () =>
            (await LiveUploadCalls.ScalarAsync<string?>(host.Api.Database.MaintenanceConnectionString,
                "SELECT media_blob_name FROM recordings WHERE id = @id", new { id }))
                ?.EndsWith("/seekable.webm", StringComparison.Ordinal) == true,
            "the recovered recording plays from its seekable copy");
    }

    [Fact]
    public async Task Two_live_recordings_of_one_user_from_two_tabs_complete_apart()
    {
        var user = await host.Api.SignInNewUserAsync();
        var audio = await File.ReadAllBytesAsync(TestEnvironment.MediaFixture("chrome-audio.webm"));
        var camera = await File.ReadAllBytesAsync(TestEnvironment.MediaFixture("chrome-camera.webm"));
        var first = await user.CreateLiveAsync(body => { body["recordingType"] = "audio"; body["mimeType"] = "audio/webm;codecs=opus"; });
        var second = await user.CreateLiveAsync();
        var firstBlocks = LiveUploadCalls.Split(audio, 4_000);
        var secondBlocks = LiveUploadCalls.Split(camera, 16_000);
        for (var i = 0; i < Math.Max(firstBlocks.Count, secondBlocks.Count); i++)
        {
            await first.StageAsync(firstBlocks.Skip(i).Take(1));
            await second.StageAsync(secondBlocks.Skip(i).Take(1));
            // Each tab keeps in contact while it records, as the page does: however slow the machine, neither is silent yet.
            foreach (var ticket in new[] { first, second })
            {
                await (await user.GetUploadAsync(ticket.RecordingId())).AssertOkAsync();
            }
        }

        foreach (var (ticket, content, fixture) in new[] { (first, audio, "chrome-audio.webm"), (second, camera, "chrome-camera.webm") })
        {
            var recording = await host.WaitForOutcomeAsync(user, ticket.RecordingId());
            Assert.Equal(("completed", true, content.LongLength), (recording.GetProperty("status").GetString(),
                recording.GetProperty("recovered").GetBoolean(), recording.GetProperty("fileSize").GetInt64()));
            var expected = await MediaTools.PacketEndAsync(TestEnvironment.MediaFixture(fixture));
            Assert.InRange((double)recording.GetProperty("duration").GetDecimal(),
                expected.TotalSeconds - 0.1, expected.TotalSeconds + 0.1);
        }
    }

    private static async Task<TimeSpan> PacketEndAsync(byte[] media)
    {
        var path = Path.Combine(Path.GetTempPath(), $"live-{Guid.NewGuid():N}.webm");
        await File.WriteAllBytesAsync(path, media);
        try
        {
            return await MediaTools.PacketEndAsync(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
