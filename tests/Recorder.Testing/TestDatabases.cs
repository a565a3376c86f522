using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Recorder.Core.Migrations;

namespace Recorder.Testing;

/// <summary>
/// Throwaway databases on the test cluster. A migrated database is a copy of a template that is
/// migrated once per set of migration files (its name carries their checksum), so each test class
/// gets its own database in milliseconds and no test depends on another's data.
/// </summary>
public static class TestDatabases
{
    // Serializes template building and cloning across test processes (CREATE DATABASE ... TEMPLATE
    // fails while anyone else is connected to the template).
    private const long TemplateLockKey = 0x7465737474706c; // "testtpl"

    public static string OwnerRole => "recorder_owner";
    public const string AppRole = "recorder_app";
    public const string MaintenanceRole = "recorder_maintenance";

    /// <summary>A connection string to <paramref name="database"/> as <paramref name="role"/>.</summary>
    public static string ConnectionString(string database, string? role = null, bool pooling = true)
    {
        var builder = new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresAdminConnectionString)
        {
            Database = database,
            Pooling = pooling,
        };
        if (role is not null)
        {
            builder.Username = role;
        }
        return builder.ConnectionString;
    }

    public static async Task<string> CreateEmptyAsync(string purpose)
    {
        var name = NewName(purpose);
        await using var admin = await OpenAdminAsync();
        await admin.ExecuteAsync($"CREATE DATABASE {name}");
        return name;
    }

    public static async Task<string> CreateMigratedAsync(string purpose)
    {
        var scripts = MigrationScript.LoadDirectory(TestEnvironment.MigrationsDirectory);
        var template = "recorder_template_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Concat(scripts.Select(s => s.Checksum)))))[..16];
        var name = NewName(purpose);

        await using var admin = await OpenAdminAsync();
        await admin.ExecuteAsync("SELECT pg_advisory_lock(@TemplateLockKey)", new { TemplateLockKey });
        try
        {
            if (!await admin.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = @template)", new { template }))
            {
                await BuildTemplateAsync(admin, template, scripts);
            }
            await admin.ExecuteAsync($"CREATE DATABASE {name} TEMPLATE {template}");
        }
        finally
        {
            await admin.ExecuteAsync("SELECT pg_advisory_unlock(@TemplateLockKey)", new { TemplateLockKey });
        }
        return name;
    }

    public static async Task DropAsync(string name)
    {
        await using var admin = await OpenAdminAsync();
        await admin.ExecuteAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    }

    public static Task MigrateAsync(string database, IReadOnlyList<MigrationScript> scripts)
        => ApplyMigrationsAsync(ConnectionString(database, pooling: false), scripts);

    /// <summary>Migrates the database of <paramref name="ownerConnectionString"/> (any cluster) as <c>recorder migrate</c> does; by default with migrations/.</summary>
    public static async Task ApplyMigrationsAsync(string ownerConnectionString, IReadOnlyList<MigrationScript>? scripts = null)
    {
        await using var dataSource = NpgsqlDataSource.Create(ownerConnectionString);
        await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance)
            .MigrateAsync(scripts ?? MigrationScript.LoadDirectory(TestEnvironment.MigrationsDirectory), CancellationToken.None);
    }

    private static async Task BuildTemplateAsync(NpgsqlConnection admin, string template, IReadOnlyList<MigrationScript> scripts)
    {
        // Built under another name and renamed when complete, so a crash never leaves a half template.
        var building = template + "_building";
        await admin.ExecuteAsync($"DROP DATABASE IF EXISTS {building} WITH (FORCE)");
        await admin.ExecuteAsync($"CREATE DATABASE {building}");
        await MigrateAsync(building, scripts);
        await admin.ExecuteAsync($"ALTER DATABASE {building} RENAME TO {template}");
        await admin.ExecuteAsync($"ALTER DATABASE {template} IS_TEMPLATE true");
    }

    private static async Task<NpgsqlConnection> OpenAdminAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString("postgres", pooling: false));
        await connection.OpenAsync();
        return connection;
    }

    // Lower-case letters, digits and underscores only: these names are spliced into DDL.
    private static string NewName(string purpose)
    {
        var safe = new string(purpose.ToLowerInvariant().Where(c => c is >= 'a' and <= 'z' or >= '0' and <= '9').Take(20).ToArray());
        return $"t_{safe}_{Guid.NewGuid():N}"; // at most 55 characters, under PostgreSQL's 63
    }
}
