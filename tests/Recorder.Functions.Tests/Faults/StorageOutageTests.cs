using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Recorder.Functions.Tests.DevHost;
using Recorder.Testing.Media;
using Recorder.Testing.Uploads;
using Xunit;
using Xunit.Abstractions;

namespace Recorder.Functions.Tests.Faults;

/// <summary>Azurite (blobs and queues) stopped for 10 s under recordings being probed and uploads half sent, then started again.</summary>
[Collection(FaultCollection.Name)]
public sealed class StorageOutageTests(FaultServices fault, ITestOutputHelper output) : IClassFixture<FaultServices>
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Every_recording_completes_within_the_lease_and_a_minute_of_storage_returning_from_down_mid_upload_and_mid_ingest()
    {
        using var gate = new ToolGate();
        await using var host = await RunningDevHost.StartAsync(functionTypes: null, fault.HostSettings(gate.Path, fastRecovery: true));
        var users = await fault.SignInAsync(host.Client.BaseAddress!, 2);

        // Four recordings claimed and held at the probe: their workers hold leases and queue messages when storage goes.
        var probing = await FaultServices.UploadAndHoldAtProbeAsync(users, gate, 4);
        // Two uploads half sent, as the page sends a recording in blocks: the first block staged, the rest to come.
        var halfSent = (await FaultServices.RequestUploadsAsync(users, 2)).Select(upload => new HalfSentUpload(upload)).ToList();
        foreach (var upload in halfSent)
        {
            await upload.StageAsync(0);
        }

        await fault.Services.Azurite.StopAsync();
        var outageEnds = DateTime.UtcNow + Outage;
        gate.Open();
        // The page keeps sending what is left, again and again, until storage takes it.
        var finishing = halfSent.Select(upload => upload.FinishAsync()).ToList();
        await Task.Delay(outageEnds - DateTime.UtcNow); // the fault's length, not a wait for the app
        await fault.Services.Azurite.StartAsync();
        var returned = DateTime.UtcNow;
        await Task.WhenAll(finishing).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(halfSent, upload => Assert.True(upload.Refusals > 0, "the upload met the outage"));

        var recovery = await fault.AssertAllCompleteWithinAsync([.. probing, .. halfSent.Select(upload => upload.Pending.RecordingId)], returned, FaultServices.RecoveryBound);
        output.WriteLine($"Every recording terminal {recovery.TotalSeconds:0.0} s after Azurite returned.");
        await fault.AssertInvariantsHoldAsync();
    }

    /// <summary>A recording sent as two blocks and a block list, each retried every 250 ms while storage does not answer.</summary>
    private sealed class HalfSentUpload(PendingUpload pending)
    {
        private static readonly string[] BlockIds = [Convert.ToBase64String("block-0"u8), Convert.ToBase64String("block-1"u8)];

        private readonly BlockBlobClient blob = BrowserUploads.Blob(pending.Ticket);

        public PendingUpload Pending => pending;

        public int Refusals { get; private set; }

        public Task StageAsync(int block)
        {
            var half = pending.Content.Length / 2;
            var part = block == 0 ? pending.Content.AsMemory(0, half) : pending.Content.AsMemory(half);
            return blob.StageBlockAsync(BlockIds[block], new MemoryStream(part.ToArray()));
        }

        public async Task FinishAsync()
        {
            await UntilTakenAsync(() => StageAsync(1));
            await UntilTakenAsync(() => blob.CommitBlockListAsync(BlockIds, new CommitBlockListOptions { HttpHeaders = new BlobHttpHeaders { ContentType = pending.Sample.MimeType } }));
        }

        private async Task UntilTakenAsync(Func<Task> send)
        {
            while (true)
            {
                try
                {
                    await send();
                    return;
                }
                catch (RequestFailedException)
                {
                    Refusals++;
                }
                await Task.Delay(250);
            }
        }
    }
}
