using Azure.Storage.Blobs;
using Dapper;
using Npgsql;
using Recorder.Core.Storage;

namespace Recorder.Testing.Services;

/// <summary>
/// A PostgreSQL and an Azurite of their own (<see cref="PrivatePostgres"/>, <see cref="PrivateAzurite"/>) holding
/// what the app needs: the migrated database <c>recorder</c> with the app's roles, and the containers. For tests
/// that stop the services under a running app, and for benchmarks that measure the services' own memory.
/// </summary>
public sealed class PrivateServices : IAsyncDisposable
{
    public const string DatabaseName = "recorder";

    private PrivateServices(PrivatePostgres postgres, PrivateAzurite azurite)
    {
        Postgres = postgres;
        Azurite = azurite;
    }

    public PrivatePostgres Postgres { get; }

    public PrivateAzurite Azurite { get; }

    public StorageOptions Storage { get; } = new();

    /// <summary>As the owner, unpooled: a caller's own reads leave no broken connection behind when the server restarts.</summary>
    public string OwnerConnectionString => Postgres.ConnectionString(DatabaseName, pooling: false);

    /// <summary>As recorder_maintenance, unpooled: every user's recorder rows, which row-level security hides from the owner.</summary>
    public string MaintenanceConnectionString => Postgres.ConnectionString(DatabaseName, TestDatabases.MaintenanceRole, pooling: false);

    /// <param name="storageInMemory">Azurite without its files (<see cref="PrivateAzurite"/>): nothing survives its restart.</param>
    public static async Task<PrivateServices> StartAsync(bool storageInMemory = false)
    {
        var postgres = await PrivatePostgres.CreateAsync();
        PrivateAzurite? azurite = null;
        try
        {
            azurite = await PrivateAzurite.CreateAsync(storageInMemory);
            var services = new PrivateServices(postgres, azurite);
            await services.PrepareAsync();
            return services;
        }
        catch
        {
            if (azurite is not null)
            {
                await azurite.DisposeAsync();
            }
            await postgres.DisposeAsync();
            throw;
        }
    }

    public BlobServiceClient Blobs() => new(Azurite.ConnectionString);

    /// <summary>Where the app finds these services (keys as in local.settings.json): its database roles, the storage account, the containers.</summary>
    public Dictionary<string, string?> ConnectionSettings() => new()
    {
        ["Database:AppConnectionString"] = Postgres.ConnectionString(DatabaseName, TestDatabases.AppRole),
        ["Database:MaintenanceConnectionString"] = Postgres.ConnectionString(DatabaseName, TestDatabases.MaintenanceRole),
        ["Database:MigratorConnectionString"] = OwnerConnectionString,
        ["RecordingsStorage"] = Azurite.ConnectionString,
        ["AzureWebJobsStorage"] = Azurite.ConnectionString,
        ["Storage:UploadsContainer"] = Storage.UploadsContainer,
        ["Storage:ProcessedContainer"] = Storage.ProcessedContainer,
        ["Storage:ThumbnailsContainer"] = Storage.ThumbnailsContainer,
        ["Storage:ExportsContainer"] = Storage.ExportsContainer,
        ["Storage:DeadLetterContainer"] = Storage.DeadLetterContainer,
        ["Storage:ErasureLedgerContainer"] = Storage.ErasureLedgerContainer,
    };

    public async ValueTask DisposeAsync()
    {
        await Azurite.DisposeAsync();
        await Postgres.DisposeAsync();
    }

    private async Task PrepareAsync()
    {
        await using (var admin = new NpgsqlConnection(Postgres.ConnectionString("postgres", pooling: false)))
        {
            await admin.ExecuteAsync($"CREATE DATABASE {DatabaseName}");
        }
        await TestDatabases.ApplyMigrationsAsync(OwnerConnectionString);
        var blobs = Blobs();
        foreach (var container in Storage.AllContainers)
        {
            await blobs.CreateBlobContainerAsync(container);
        }
    }
}
