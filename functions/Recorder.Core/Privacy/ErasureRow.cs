using System.Globalization;
using System.Text.Json;

namespace Recorder.Core.Privacy;

/// <summary>A <c>privacy_erasures</c> row as read (timestamptz arrives as UTC DateTime; counts as JSON text).</summary>
internal sealed record ErasureRow(long Id, string? UserId, string Status, string SubjectHash, string RequestedBy,
    DateTime RequestedAt, DateTime? RowsDeletedAt, DateTime? FinishAfter, DateTime? CompletedAt, DateTime? DeadLettersSince, string Counts,
    Guid LedgerId, string? LedgeredRecordingsText)
{
    /// <summary>The recordings the ledger has for this erasure; null before its entry was written.</summary>
    public long[]? LedgeredRecordings => LedgeredRecordingsText is { } text
        ? [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(id => long.Parse(id, CultureInfo.InvariantCulture))]
        : null;

    public static readonly JsonSerializerOptions CountsJson = new(JsonSerializerDefaults.Web);

    public ErasureReceipt ToReceipt()
        => new(Id, Status, SubjectHash, RequestedBy, Utc(RequestedAt), UtcOrNull(RowsDeletedAt), UtcOrNull(FinishAfter),
            UtcOrNull(CompletedAt), ParseCounts(Counts));

    public static ErasureCounts ParseCounts(string json)
        => JsonSerializer.Deserialize<ErasureCounts>(json, CountsJson) ?? new ErasureCounts();

    public static string Json(ErasureCounts counts) => JsonSerializer.Serialize(counts, CountsJson);

    private static DateTimeOffset Utc(DateTime value) => new(value, TimeSpan.Zero);

    private static DateTimeOffset? UtcOrNull(DateTime? value) => value is { } v ? Utc(v) : null;
}
