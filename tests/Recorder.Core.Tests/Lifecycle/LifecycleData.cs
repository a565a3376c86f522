using System.Text;
using Dapper;
using Npgsql;
using Recorder.Core.Storage;
using Recorder.Core.Tests.Fixtures;
using Recorder.Testing;

namespace Recorder.Core.Tests.Lifecycle;

/// <summary>
/// Rows and blobs for lifecycle tests: users and projects written as the owner, the recorder's rows written and read
/// as recorder_maintenance, which sees every user's (the owner is bound by row-level security; DatabaseConnections).
/// </summary>
internal sealed class LifecycleData(MigratedDatabase database, StorageOptions storage)
{
    public static string UploadName(string userId, long id) => $"{userId}/{id}/recording.webm";

    public async Task<string> NewUserAsync()
    {
        var userId = "life-" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = await OpenOwnerAsync();
        await connection.ExecuteAsync("INSERT INTO users (id, email, password, first_name, last_name) VALUES (@userId, @userId || '@example.test', 'x', 'Life', 'Test')", new { userId });
        return userId;
    }

    public async Task<int> NewProjectAsync(string userId)
    {
        await using var connection = await OpenOwnerAsync();
        return await connection.ExecuteScalarAsync<int>("INSERT INTO projects (user_id, name, type) VALUES (@userId, 'p', 'video') RETURNING id", new { userId });
    }

    public async Task<long> InsertAsync(string userId, string status, TimeSpan age, int? projectId = null, string? failureCode = null)
    {
        await using var connection = await OpenMaintenanceAsync();
        var id = await connection.ExecuteScalarAsync<long>(
            """
            INSERT INTO recordings (user_id, project_id, title, recording_type, file_size, mime_type, blob_name, status, failure_code, created_at)
            VALUES (@userId, @projectId, 'r', 'camera', 10, 'video/webm', gen_random_uuid()::text, @status,
                    COALESCE(@failureCode, CASE WHEN @status = 'failed' THEN 'corrupt_media' END), now() - @age)
            RETURNING id
            """,
            new { userId, projectId, status, age, failureCode });
        await connection.ExecuteAsync("UPDATE recordings SET blob_name = @name WHERE id = @id", new { id, name = UploadName(userId, id) });
        return id;
    }

    public async Task UploadAsync(string blobName, string? container = null)
        => await TestStorage.CreateClient().GetBlobContainerClient(container ?? storage.UploadsContainer).GetBlobClient(blobName)
            .UploadAsync(BinaryData.FromBytes(Encoding.ASCII.GetBytes("media")));

    public async Task<bool> BlobExistsAsync(string blobName, string? container = null)
        => (await TestStorage.CreateClient().GetBlobContainerClient(container ?? storage.UploadsContainer).GetBlobClient(blobName).ExistsAsync()).Value;

    public async Task<string?> StatusAsync(long id)
    {
        await using var connection = await OpenMaintenanceAsync();
        return await connection.ExecuteScalarAsync<string?>("SELECT status FROM recordings WHERE id = @id", new { id });
    }

    public async Task<List<(string ActorId, string Action)>> AuditAsync(long id)
    {
        await using var connection = await OpenMaintenanceAsync();
        return (await connection.QueryAsync<(string, string)>(
            "SELECT actor_id, action FROM audit_log WHERE recording_id = @id AND actor_type = 'system' ORDER BY id", new { id })).AsList();
    }

    public async Task<int> ExecuteAsync(string sql, object? parameters = null)
    {
        await using var connection = await OpenMaintenanceAsync();
        return await connection.ExecuteAsync(sql, parameters);
    }

    public async Task<T> ScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = await OpenMaintenanceAsync();
        return (await connection.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    /// <summary>The owner: the main app's tables, DDL and ANALYZE; it sees no recorder rows.</summary>
    public Task<NpgsqlConnection> OpenOwnerAsync() => database.OpenOwnerAsync();

    /// <summary>recorder_maintenance: every user's recorder rows.</summary>
    public Task<NpgsqlConnection> OpenMaintenanceAsync() => database.OpenMaintenanceAsync();
}
