using Xunit;
using Recorder.Core.Data;

namespace Recorder.Testing;

/// <summary>A class fixture: one migrated database of its own, dropped afterwards.</summary>
public sealed class MigratedDatabase : IAsyncLifetime
{
    public string Name { get; private set; } = "";

    public string OwnerConnectionString => TestDatabases.ConnectionString(Name);
    public string AppConnectionString => TestDatabases.ConnectionString(Name, TestDatabases.AppRole);
    public string MaintenanceConnectionString => TestDatabases.ConnectionString(Name, TestDatabases.MaintenanceRole);

    public DatabaseOptions Options => new() { AppConnectionString = AppConnectionString, MaintenanceConnectionString = MaintenanceConnectionString };

    public RecorderDataSources CreateDataSources() => new(Microsoft.Extensions.Options.Options.Create(Options));

    public async Task InitializeAsync() => Name = await TestDatabases.CreateMigratedAsync(GetType().Name);

    public Task DisposeAsync() => TestDatabases.DropAsync(Name);
}
