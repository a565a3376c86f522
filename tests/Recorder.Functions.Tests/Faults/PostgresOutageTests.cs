using Recorder.Functions.Tests.DevHost;
using Recorder.Testing.Media;
using Xunit;
using Xunit.Abstractions;

namespace Recorder.Functions.Tests.Faults;

/// <summary>PostgreSQL stopped for 15 s under recordings being probed and uploads being committed, then started again.</summary>
[Collection(FaultCollection.Name)]
public sealed class PostgresOutageTests(FaultServices fault, ITestOutputHelper output) : IClassFixture<FaultServices>
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(15);

    // The bound for this fault: completed within a minute of PostgreSQL's return. The lease is no part of
    // it, so the host runs with the app's own lease and recovery schedule: a worker that lost the database must
    // not keep its recording from the others for the rest of its lease.
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Every_recording_completes_within_a_minute_of_PostgreSQL_returning_from_15_s_down_mid_ingest()
    {
        using var gate = new ToolGate();
        await using var host = await RunningDevHost.StartAsync(functionTypes: null, fault.HostSettings(gate.Path, fastRecovery: false));
        var users = await fault.SignInAsync(host.Client.BaseAddress!, 2);

        // Four recordings claimed and held at the probe: their workers hold leases when the database goes.
        var probing = await FaultServices.UploadAndHoldAtProbeAsync(users, gate, 4);
        // Two more awaiting their upload: it is committed, and its event delivered, while the database is down.
        var committedInOutage = await FaultServices.RequestUploadsAsync(users, 2);

        await fault.Services.Postgres.StopAsync();
        var outageEnds = DateTime.UtcNow + Outage;
        gate.Open();
        foreach (var upload in committedInOutage)
        {
            await upload.PutAsync();
        }
        await Task.Delay(outageEnds - DateTime.UtcNow); // the fault's length, not a wait for the app
        await fault.Services.Postgres.StartAsync();
        var returned = DateTime.UtcNow;

        var recovery = await fault.AssertAllCompleteWithinAsync([.. probing, .. committedInOutage.Select(upload => upload.RecordingId)], returned, Bound);
        output.WriteLine($"Every recording terminal {recovery.TotalSeconds:0.0} s after PostgreSQL returned.");
        await fault.AssertInvariantsHoldAsync();
    }
}
