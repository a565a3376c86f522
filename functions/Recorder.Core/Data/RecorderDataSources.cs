using System.Data.Common;
using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Security;

namespace Recorder.Core.Data;

/// <summary>
/// The app's connection pools: one <see cref="NpgsqlDataSource"/> per database role, built once
/// and shared by every service.
/// </summary>
public sealed class RecorderDataSources : IAsyncDisposable
{
    // Microsoft Entra scope for Azure Database for PostgreSQL tokens.
    private static readonly TokenRequestContext EntraTokenRequest = new(["https://ossrdbms-aad.database.windows.net/.default"]);

    public RecorderDataSources(IOptions<DatabaseOptions> options)
    {
        var settings = options.Value;
        var credential = settings.UseEntraAuthentication ? CreateCredential(settings.ManagedIdentityClientId) : null;
        App = Build(settings.AppConnectionString, "recorder-app", credential, AppRoleGuard.VerifyAsync, prepareByDefault: true,
            skipResetByDefault: true);
        Maintenance = Build(settings.MaintenanceConnectionString, "recorder-maintenance", credential);
    }

    /// <summary>Statements each connection of the app's pool keeps prepared: more than the distinct statements of its hot paths.</summary>
    public const int AutoPreparedStatements = 64;

    /// <summary>Role <c>recorder_app</c>: no BYPASSRLS; the HTTP path.</summary>
    public NpgsqlDataSource App { get; }

    /// <summary>Role <c>recorder_maintenance</c>: BYPASSRLS; timers and ingest.</summary>
    public NpgsqlDataSource Maintenance { get; }

    /// <param name="verifyConnection">Runs on every new physical connection before the pool hands it out.</param>
    /// <param name="prepareByDefault">
    /// Prepare statements run twice on a connection, unless the connection string says otherwise (<c>Max Auto Prepare</c>).
    /// Only for pools whose callers survive a stale prepared statement (<see cref="StalePlans"/>).
    /// </param>
    /// <param name="skipResetByDefault">
    /// Skip the session reset Npgsql sends when a connection goes back to the pool, unless the connection string says otherwise
    /// (<c>No Reset On Close</c>). Only for pools whose callers leave no session state behind (<see cref="UserTransaction"/>).
    /// </param>
    public static NpgsqlDataSource Build(string connectionString, string applicationName, TokenCredential? credential = null,
        Func<NpgsqlConnection, Task>? verifyConnection = null, bool prepareByDefault = false, bool skipResetByDefault = false)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.ApplicationName ??= applicationName;
        if (prepareByDefault && !Names(connectionString, nameof(NpgsqlConnectionStringBuilder.MaxAutoPrepare)))
        {
            // Parsed and planned once per connection instead of on every request: about half of PostgreSQL's CPU per upload URL
            // (bench/results/upload-urls.md).
            builder.ConnectionStringBuilder.MaxAutoPrepare = AutoPreparedStatements;
            builder.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
        }
        if (skipResetByDefault && !Names(connectionString, nameof(NpgsqlConnectionStringBuilder.NoResetOnClose)))
        {
            // With prepared statements the reset is seven statements run before the next one on the connection, twice per upload
            // URL; what it would clear is never set here (docs/operations.md, "Connection reset").
            builder.ConnectionStringBuilder.NoResetOnClose = true;
        }
        if (verifyConnection is not null)
        {
            builder.UsePhysicalConnectionInitializer(connection => verifyConnection(connection).GetAwaiter().GetResult(), verifyConnection);
        }
        if (credential is not null)
        {
            // Tokens live about an hour; refresh well before expiry, retry quickly after a failure.
            builder.UsePeriodicPasswordProvider(
                async (_, cancellationToken) => (await credential.GetTokenAsync(EntraTokenRequest, cancellationToken)).Token,
                TimeSpan.FromMinutes(45),
                TimeSpan.FromSeconds(10));
        }
        return builder.Build();
    }

    /// <summary>Whether the connection string sets <paramref name="keyword"/> (in any spelling Npgsql takes: spaces or none).</summary>
    private static bool Names(string connectionString, string keyword)
        => new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Any(key => key.Replace(" ", "", StringComparison.Ordinal).Equals(keyword, StringComparison.OrdinalIgnoreCase));

    private static TokenCredential CreateCredential(string? clientId)
        => string.IsNullOrEmpty(clientId) ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await Maintenance.DisposeAsync();
    }
}
