using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Recorder.Core.Data;

namespace Recorder.Core.Security;

/// <summary>
/// Row-level security binds the HTTP path only if its role is not a superuser, has no BYPASSRLS and
/// owns nothing it reads (an owner may turn its tables' row-level security off). Every physical connection of the
/// app's pool is checked when it opens, and the app checks once at start-up, refusing to start when the role is wrong.
/// </summary>
public static class AppRoleGuard
{
    private const string RoleSql = """
        SELECT r.rolname AS Name, r.rolsuper AS IsSuperuser, r.rolbypassrls AS BypassesRls,
               EXISTS (SELECT 1 FROM pg_class c WHERE c.relowner = r.oid AND c.relname IN ('recordings', 'audit_log')) AS OwnsTables
        FROM pg_roles r
        WHERE r.rolname = current_user
        """;

    public static async Task VerifyAsync(NpgsqlConnection connection)
    {
        var role = await connection.QuerySingleAsync<(string Name, bool IsSuperuser, bool BypassesRls, bool OwnsTables)>(RoleSql);
        var powers = new[] { (role.IsSuperuser, "is a superuser"), (role.BypassesRls, "has BYPASSRLS"),
            (role.OwnsTables, "owns the recorder's tables") }
            .Where(p => p.Item1).Select(p => p.Item2).ToList();
        if (powers.Count > 0)
        {
            throw new InvalidOperationException(
                $"Database__AppConnectionString connects as role '{role.Name}', which {string.Join(" and ", powers)}: " +
                "row-level security would not bind it, or it could turn it off. " +
                "Connect the app as recorder_app (docs/architecture.md, \"Roles\").");
        }
    }
}

/// <summary>Opens one app connection at start-up so a wrong role stops the app at once, not at the first request.</summary>
public sealed class AppRoleStartupCheck(RecorderDataSources dataSources, ILogger<AppRoleStartupCheck> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await dataSources.App.OpenConnectionAsync(cancellationToken);
        }
        catch (NpgsqlException exception)
        {
            // An unreachable database must not keep the app down: health reports it, and the pool checks the role when it connects.
            logger.LogWarning(exception, "Could not check the app's database role at start-up; it is checked on every new connection");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
