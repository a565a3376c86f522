using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Recorder.Testing.Media;

namespace Recorder.Testing.Uploads;

/// <summary>An upload URL the API issued for a new recording.</summary>
public sealed record UploadTicket(long RecordingId, Uri UploadUrl);

/// <summary>What the recorder page does to upload a recording: ask the API for an upload URL, then write the file to it.</summary>
public static class BrowserUploads
{
    /// <summary><c>POST api/recordings/uploads</c> as the user <paramref name="api"/> signs in as; fails unless 201.</summary>
    public static async Task<UploadTicket> RequestAsync(HttpClient api, MediaSample sample, long fileSize, CancellationToken cancellationToken = default)
    {
        using var response = await api.PostAsJsonAsync("api/recordings/uploads",
            new { title = sample.FileName, recordingType = sample.RecordingType, mimeType = sample.MimeType, fileSize }, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new HttpRequestException($"POST api/recordings/uploads answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}", null, response.StatusCode);
        }
        var ticket = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return new UploadTicket(ticket.GetProperty("recordingId").GetInt64(), new Uri(ticket.GetProperty("uploadUrl").GetString()!));
    }

    /// <summary>
    /// The upload blob through the ticket's URL, without the SDK's own retries: like the page, the caller decides
    /// what to do when storage does not answer.
    /// </summary>
    public static BlockBlobClient Blob(UploadTicket ticket) => new(ticket.UploadUrl, new BlobClientOptions { Retry = { MaxRetries = 0 } });

    /// <summary>The whole file in one Put Blob, as the page sends a short recording.</summary>
    public static Task PutAsync(UploadTicket ticket, MediaSample sample, byte[] content, CancellationToken cancellationToken = default)
        => Blob(ticket).UploadAsync(new MemoryStream(content), new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = sample.MimeType } }, cancellationToken);
}
