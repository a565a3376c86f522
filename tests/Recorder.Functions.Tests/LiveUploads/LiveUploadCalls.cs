using System.Net;
using System.Text.Json;
using Azure.Storage.Blobs.Specialized;
using Dapper;
using Npgsql;
using Recorder.Core.LiveUploads;
using Recorder.Functions.Tests.Api;

namespace Recorder.Functions.Tests.LiveUploads;

/// <summary>What a live recorder page does, through the API and its upload URL, and the rows read back as recorder_maintenance.</summary>
internal static class LiveUploadCalls
{
    /// <summary>A live upload (no fileSize); <paramref name="change"/> adjusts the body.</summary>
    public static Task<HttpResponseMessage> PostLiveAsync(this TestUser user, Action<Dictionary<string, object?>>? change = null)
        => user.Client.PostAsync("api/recordings/uploads", Api.Api.Json(Api.Api.UploadRequest(body =>
        {
            body.Remove("fileSize");
            body["live"] = true;
            change?.Invoke(body);
        })));

    /// <summary>Creates a live upload and returns its ticket.</summary>
    public static async Task<JsonElement> CreateLiveAsync(this TestUser user, Action<Dictionary<string, object?>>? change = null)
        => await (await user.PostLiveAsync(change)).AssertOkAsync(HttpStatusCode.Created);

    public static long RecordingId(this JsonElement ticket) => ticket.GetProperty("recordingId").GetInt64();

    /// <summary>Stages the blocks (sequence number, bytes) with the ticket's upload URL, in the order given, as the browser does.</summary>
    public static async Task StageAsync(this JsonElement ticket, IEnumerable<(int Sequence, byte[] Bytes)> blocks)
    {
        var blob = new BlockBlobClient(new Uri(ticket.GetProperty("uploadUrl").GetString()!));
        foreach (var (sequence, bytes) in blocks)
        {
            await blob.StageBlockAsync(LiveBlockId.Format(sequence), new MemoryStream(bytes));
        }
    }

    /// <summary><paramref name="content"/> cut into blocks of <paramref name="blockSize"/> bytes, numbered from 0.</summary>
    public static List<(int Sequence, byte[] Bytes)> Split(byte[] content, int blockSize)
        => content.Chunk(blockSize).Select((bytes, sequence) => (sequence, bytes)).ToList();

    public static Task<HttpResponseMessage> GetUploadAsync(this TestUser user, object id)
        => user.Client.GetAsync($"api/recordings/{id}/upload");

    public static Task<HttpResponseMessage> RenewAsync(this TestUser user, long id)
        => user.Client.PostAsync($"api/recordings/{id}/upload-url", null);

    /// <summary>A session heartbeat carrying what the page has staged (<c>stagedBytes</c>, <c>stagedSeconds</c>).</summary>
    public static Task<HttpResponseMessage> StagedHeartbeatAsync(this TestUser user, long sessionId, object body)
        => user.Client.PostAsync($"api/recording-sessions/{sessionId}/heartbeat", Api.Api.Json(body));

    public static async Task<T> ScalarAsync<T>(string maintenanceConnectionString, string sql, object? parameters = null)
    {
        await using var connection = new NpgsqlConnection(maintenanceConnectionString);
        return (await connection.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    public static async Task ExecuteAsync(string maintenanceConnectionString, string sql, object? parameters = null)
    {
        await using var connection = new NpgsqlConnection(maintenanceConnectionString);
        await connection.ExecuteAsync(sql, parameters);
    }
}
