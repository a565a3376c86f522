using Recorder.Testing.Media;
using Recorder.Testing.Services;
using Xunit;
using Xunit.Abstractions;

namespace Recorder.Functions.Tests.Faults;

/// <summary>The dev host, a process of its own, killed (SIGKILL) while recordings are being probed, then started again.</summary>
[Collection(FaultCollection.Name)]
public sealed class HostKilledTests(FaultServices fault, ITestOutputHelper output) : IClassFixture<FaultServices>
{
    [Fact]
    public async Task Every_recording_completes_within_the_lease_and_a_minute_of_a_killed_host_starting_again()
    {
        var logs = Directory.CreateTempSubdirectory("recorder-fault-host-").FullName;
        using var gate = new ToolGate();
        await using var killed = await StartHostAsync(gate.Path, Path.Combine(logs, "killed.log"));
        var users = await fault.SignInAsync(killed.BaseAddress, 2);

        // Four recordings claimed and held at the probe: the host dies with their leases and queue messages.
        var probing = await FaultServices.UploadAndHoldAtProbeAsync(users, gate, 4);
        // Two more awaiting their upload, which lands while no host is running to see it.
        var committedWhileDown = await FaultServices.RequestUploadsAsync(users, 2);

        await killed.KillAsync();
        foreach (var upload in committedWhileDown)
        {
            await upload.PutAsync();
        }
        await using var restarted = await StartHostAsync(ffprobePath: null, Path.Combine(logs, "restarted.log"));
        var returned = DateTime.UtcNow;

        var recovery = await fault.AssertAllCompleteWithinAsync([.. probing, .. committedWhileDown.Select(upload => upload.RecordingId)], returned, FaultServices.RecoveryBound);
        output.WriteLine($"Every recording terminal {recovery.TotalSeconds:0.0} s after the host started again.");
        await fault.AssertInvariantsHoldAsync();
        Directory.Delete(logs, recursive: true); // kept when the test fails
    }

    /// <summary>The real dev host in a process of its own, healthy (database and storage reachable), logging to <paramref name="logFile"/>.</summary>
    private Task<HostProcess> StartHostAsync(string? ffprobePath, string logFile)
    {
        var settings = fault.HostSettings(ffprobePath, fastRecovery: true);
        settings["Logging:Console:LogLevel:Default"] = "Information";
        return HostProcess.StartAsync(HostProcess.DevHostAssembly, [], settings, "api/health", logFile);
    }
}
