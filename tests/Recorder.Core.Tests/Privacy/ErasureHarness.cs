using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Privacy;
using Recorder.Core.Storage;
using Recorder.Core.Tests.Lifecycle;
using Recorder.Testing;

namespace Recorder.Core.Tests.Privacy;

/// <summary>
/// The app's erasure services (AddRecorderCore) over the test's database and containers, with an erasure queue of
/// the test's own; the grace period (none unless given) and the blob client can be replaced per run.
/// </summary>
internal sealed class ErasureHarness(MigratedDatabase database, StorageOptions storage)
{
    public string QueueName { get; } = "erasure-" + Guid.NewGuid().ToString("N")[..12];

    /// <param name="settings">Settings of the run's own, e.g. another database's connection strings.</param>
    public ServiceProvider Build(TimeSpan? gracePeriod = null, BlobServiceClient? blobs = null,
        IReadOnlyDictionary<string, string?>? settings = null)
        => new LifecycleHarness(database, storage, QueueName + "-ingest").Build(blobs: blobs, settings: new Dictionary<string, string?>(
            settings ?? new Dictionary<string, string?>())
        {
            [ErasureQueue.QueueNameSetting] = QueueName,
            ["Privacy:ErasureGracePeriod"] = (gracePeriod ?? TimeSpan.Zero).ToString("c"),
        });

    public async Task<T> RunAsync<T>(Func<ErasureService, Task<T>> run, TimeSpan? gracePeriod = null, BlobServiceClient? blobs = null)
    {
        await using var services = Build(gracePeriod, blobs);
        return await run(services.GetRequiredService<ErasureService>());
    }

    public Task RunAsync(Func<ErasureService, Task> run, TimeSpan? gracePeriod = null, BlobServiceClient? blobs = null)
        => RunAsync(async erasures =>
        {
            await run(erasures);
            return true;
        }, gracePeriod, blobs);

    public async Task<PrivacySweepResult> SweepAsync(TimeSpan? gracePeriod = null)
    {
        await using var services = Build(gracePeriod);
        return await services.GetRequiredService<PrivacySweeper>().RunAsync(CancellationToken.None);
    }

    /// <summary>Takes every message off the erasure queue, as the worker's trigger would receive them.</summary>
    public Task<List<ErasureMessage>> ReceiveAsync() => LifecycleHarness.ReceiveAsync<ErasureMessage>(QueueName);
}
