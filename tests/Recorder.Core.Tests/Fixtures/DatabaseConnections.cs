using Dapper;
using Npgsql;
using Recorder.Testing;

namespace Recorder.Core.Tests.Fixtures;

/// <summary>
/// Who seeds and reads what. The schema owner is Azure's administrator, not a superuser: every recorder table's
/// FORCEd row-level security binds it, so it writes only the main app's tables (users, projects, content, …) and
/// the schema. Recorder tables are seeded and read across users as recorder_maintenance, whose policies (025) let
/// it see every row, or as one user with app.user_id set, as the HTTP path does.
/// </summary>
internal static class DatabaseConnections
{
    /// <summary>The schema owner: the main app's tables, DDL, VACUUM and ANALYZE.</summary>
    public static Task<NpgsqlConnection> OpenOwnerAsync(this MigratedDatabase database) => OpenAsync(database.OwnerConnectionString);

    /// <summary>recorder_maintenance: the recorder's tables across users.</summary>
    public static Task<NpgsqlConnection> OpenMaintenanceAsync(this MigratedDatabase database)
        => OpenAsync(database.MaintenanceConnectionString);

    /// <summary>A user of the main app (its users table, written as the owner), for recordings to belong to.</summary>
    public static async Task AddUserAsync(this MigratedDatabase database, string userId)
    {
        await using var owner = await database.OpenOwnerAsync();
        await owner.ExecuteAsync(
            "INSERT INTO users (id, email, password, first_name, last_name) VALUES (@userId, @userId || '@example.test', 'x', 'T', 'U')",
            new { userId });
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }
}
