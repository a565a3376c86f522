using System.Net.Http.Headers;
using Npgsql;
using Recorder.Core.Storage;
using Recorder.Functions.Tests.DevHost;
using Recorder.Testing;
using Xunit;

namespace Recorder.Functions.Tests.Api;

/// <summary>
/// The dev host with the real functions over a migrated database of its own and Azurite containers of
/// its own, signing users in the way the main app does: a sessions row and a signed connect.sid cookie.
/// </summary>
public sealed class ApiTestHost : IAsyncLifetime
{
    public const string SessionSecret = "test-session-secret";
    public const string JwtSecret = "test-jwt-secret-that-is-long-enough-for-hs256";
    public const string JwtIssuer = "https://app.example.test";
    public const string JwtAudience = "recorder-functions";

    private readonly MigratedDatabase database = new();
    private RunningDevHost? host;

    public StorageOptions Storage { get; private set; } = new();

    public MigratedDatabase Database => database;

    public Task InitializeAsync() => InitializeAsync(startHost: true);

    /// <param name="startHost">False when a wrapping fixture starts its own host over this database and storage.</param>
    public async Task InitializeAsync(bool startHost)
    {
        await database.InitializeAsync();
        Storage = await TestStorage.CreateContainersAsync();
        if (startHost)
        {
            host = await RunningDevHost.StartAsync(functionTypes: null, Settings(database.AppConnectionString, TestEnvironment.StorageConnectionString));
        }
    }

    /// <summary>Settings of an API host over this database and these containers; tests may start variants.</summary>
    public Dictionary<string, string?> Settings(string appConnectionString, string storageConnectionString) => new()
    {
        ["Database:AppConnectionString"] = appConnectionString,
        ["Database:MaintenanceConnectionString"] = database.MaintenanceConnectionString,
        ["RecordingsStorage"] = storageConnectionString,
        ["Storage:UploadsContainer"] = Storage.UploadsContainer,
        ["Storage:ThumbnailsContainer"] = Storage.ThumbnailsContainer,
        ["Storage:ProcessedContainer"] = Storage.ProcessedContainer,
        ["Auth:SessionSecrets:0"] = SessionSecret,
        ["Auth:Jwt:HmacSecret"] = JwtSecret,
        ["Auth:Jwt:Issuer"] = JwtIssuer,
        ["Auth:Jwt:Audience"] = JwtAudience,
        // API tests drive the recordings' states themselves: no ingest behind their backs.
        ["DevHost:EventBridge"] = "false",
        ["IngestQueueName"] = "api-" + Guid.NewGuid().ToString("N")[..12],
    };

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
        await database.DisposeAsync();
    }

    /// <summary>A new user with a live session; the client sends its cookie on every request.</summary>
    public async Task<TestUser> SignInNewUserAsync(string? userId = null)
    {
        userId ??= "user-" + Guid.NewGuid().ToString("N")[..12];
        var cookies = await TestSessions.SignInAsync(database.OwnerConnectionString, SessionSecret, [userId]);
        var client = AnonymousClient();
        client.DefaultRequestHeaders.Add("Cookie", cookies[0]);
        return new TestUser(userId, client);
    }

    /// <summary>Where signed-in clients send their requests: this fixture's host, or the wrapping fixture's.</summary>
    public Uri? BaseAddressOverride { get; set; }

    public HttpClient AnonymousClient() => new() { BaseAddress = BaseAddressOverride ?? host!.Client.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public HttpClient BearerClient(string token)
    {
        var client = AnonymousClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>
    /// As the schema owner, for the main app's tables (users, projects, content …), which have no row-level security.
    /// The owner is not a superuser (as Azure's administrator is not): FORCEd row-level security hides every recorder row.
    /// </summary>
    public Task<NpgsqlConnection> OpenOwnerAsync() => OpenAsync(database.OwnerConnectionString);

    /// <summary>As recorder_maintenance, which sees and writes the recorder tables of every user (migration 025).</summary>
    public Task<NpgsqlConnection> OpenMaintenanceAsync() => OpenAsync(database.MaintenanceConnectionString);

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }
}

/// <summary>A signed-in user and a client that sends their session cookie.</summary>
public sealed record TestUser(string Id, HttpClient Client);
