using System.Text.Json;

namespace Recorder.Core.Uploads;

/// <summary>Body of <c>POST /api/recordings/uploads</c>.</summary>
public sealed class CreateUploadRequest
{
    public string? Title { get; init; }
    public string? Description { get; init; }
    public string? RecordingType { get; init; }
    public string? MimeType { get; init; }
    public long? FileSize { get; init; }
    public int? ProjectId { get; init; }
    public long? SessionId { get; init; }
    public string? Quality { get; init; }
    public JsonElement? Metadata { get; init; }
}

/// <summary>What the browser needs to upload: where, how, until when.</summary>
/// <param name="Method">PUT for the single-request upload; block uploads PUT each block and then the block list to the same URL.</param>
/// <param name="Headers">Headers the single PUT must send (and the block list commit as x-ms-blob-content-type).</param>
public sealed record UploadTicket(
    long RecordingId,
    Uri UploadUrl,
    string BlobName,
    DateTimeOffset ExpiresAt,
    string Method,
    IReadOnlyDictionary<string, string> Headers,
    int BlockSize,
    int MaxSingleUploadSize);
