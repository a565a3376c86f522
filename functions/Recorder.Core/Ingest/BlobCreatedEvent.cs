using System.Text.Json;

namespace Recorder.Core.Ingest;

/// <summary>A <c>Microsoft.Storage.BlobCreated</c> event, whichever schema it came in.</summary>
public sealed record BlobCreatedEvent(
    string Id,
    string Topic,
    string Container,
    string BlobName,
    string Api,
    string ETag,
    string Sequencer,
    long ContentLength,
    string? ContentType)
{
    private const string SubjectPrefix = "/blobServices/default/containers/";
    private const string BlobsSegment = "/blobs/";

    /// <summary>Container and blob name from a subject like <c>/blobServices/default/containers/c/blobs/a/b.webm</c>.</summary>
    public static (string Container, string BlobName)? ParseSubject(string? subject)
    {
        if (subject is null || !subject.StartsWith(SubjectPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        var rest = subject[SubjectPrefix.Length..];
        var blobs = rest.IndexOf(BlobsSegment, StringComparison.Ordinal);
        return blobs <= 0 || blobs + BlobsSegment.Length >= rest.Length
            ? null
            : (rest[..blobs], rest[(blobs + BlobsSegment.Length)..]);
    }
}

/// <summary>What the queue-triggered worker is asked to do with a recording or blob.</summary>
public sealed record IngestMessage(string Kind, long? RecordingId, string? BlobName, string ETag, string? Sequencer)
{
    public const string IngestKind = "ingest";
    public const string QuarantineKind = "quarantine";
    public const string SeekableCopyKind = "seekable-copy";

    public static IngestMessage Ingest(long recordingId, string eTag, string? sequencer)
        => new(IngestKind, recordingId, null, eTag, sequencer);

    public static IngestMessage QuarantineBlob(string blobName, string eTag) => new(QuarantineKind, null, blobName, eTag, null);

    public static IngestMessage SeekableCopy(long recordingId, string eTag) => new(SeekableCopyKind, recordingId, null, eTag, null);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static IngestMessage FromJson(string json)
        => JsonSerializer.Deserialize<IngestMessage>(json, Json) ?? throw new JsonException("An ingest message cannot be null.");
}
