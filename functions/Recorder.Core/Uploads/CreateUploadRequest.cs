using System.Text.Json;
using System.Text.Json.Serialization;

namespace Recorder.Core.Uploads;

/// <summary>Body of <c>POST /api/recordings/uploads</c>.</summary>
public sealed class CreateUploadRequest
{
    public string? Title { get; init; }
    public string? Description { get; init; }
    public string? RecordingType { get; init; }
    public string? MimeType { get; init; }
    public long? FileSize { get; init; }

    /// <summary>Staged while recording (docs/ingest.md, "Live uploads"): no final size yet, <see cref="ExpectedSize"/> at most.</summary>
    public bool? Live { get; init; }

    /// <summary>A live upload's size as far as the browser can tell, checked against the quota as a file size is.</summary>
    public long? ExpectedSize { get; init; }
    public int? ProjectId { get; init; }
    public long? SessionId { get; init; }
    public string? Quality { get; init; }
    public JsonElement? Metadata { get; init; }
}

/// <summary>What the browser needs to upload: where, how, until when.</summary>
/// <param name="Method">PUT for the single-request upload; block uploads PUT each block and then the block list to the same URL.</param>
/// <param name="Headers">Headers the single PUT must send (and the block list commit as x-ms-blob-content-type).</param>
/// <param name="Live">The terms of a live upload; absent for an upload of a finished file.</param>
public sealed record UploadTicket(
    long RecordingId,
    Uri UploadUrl,
    string BlobName,
    DateTimeOffset ExpiresAt,
    string Method,
    IReadOnlyDictionary<string, string> Headers,
    int BlockSize,
    int MaxSingleUploadSize,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] LiveTerms? Live = null);

/// <summary>What the browser of a live upload keeps to (docs/ingest.md, "Live uploads").</summary>
/// <param name="SilenceTimeoutSeconds">
/// Contact (a heartbeat of the linked session, a renewal, a block-list read) at least this often, or the server commits
/// what storage holds.
/// </param>
/// <param name="MaxBlocks">Blocks the recording may have; the server refuses renewals past them and commits no more.</param>
/// <param name="BlockIdPrefix">Block ids are Base64 of this prefix and a sequence number of <paramref name="BlockIdDigits"/>
/// zero-padded digits, from 0 in recording order.</param>
public sealed record LiveTerms(int SilenceTimeoutSeconds, int MaxBlocks, string BlockIdPrefix, int BlockIdDigits);
