using Recorder.Core.Storage;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Lifecycle;

/// <summary>What every lifecycle test class starts from: its own migrated database, containers, data writer and harness.</summary>
public abstract class LifecycleTestBase : IAsyncLifetime
{
    private protected readonly MigratedDatabase database = new();
    private protected StorageOptions storage = new();
    private protected LifecycleData data = null!;
    private protected LifecycleHarness harness = null!;

    public async Task InitializeAsync()
    {
        await database.InitializeAsync();
        storage = await TestStorage.CreateContainersAsync();
        data = new LifecycleData(database, storage);
        harness = new LifecycleHarness(database, storage, "ingest-" + Guid.NewGuid().ToString("N")[..12]);
    }

    public Task DisposeAsync() => database.DisposeAsync();
}
