using Recorder.Core.Storage;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Privacy;

/// <summary>What every erasure test class starts from: its own migrated database, containers, data writer and erasure services.</summary>
public abstract class ErasureTestBase : IAsyncLifetime
{
    private protected readonly MigratedDatabase database = new();
    private protected StorageOptions storage = new();
    private protected PrivacyTestData data = null!;
    private protected ErasureHarness erasures = null!;

    public async Task InitializeAsync()
    {
        await database.InitializeAsync();
        storage = await TestStorage.CreateContainersAsync();
        data = new PrivacyTestData(database, storage);
        erasures = new ErasureHarness(database, storage);
    }

    public Task DisposeAsync() => database.DisposeAsync();
}
