using System.Globalization;
using Azure.Storage.Blobs.Specialized;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Api;

namespace Recorder.Core.LiveUploads;

/// <summary>
/// The browser calls that read a recording's block list with the server's identity, and the rule that bounds them: each
/// kind reads at most once per <see cref="LiveUploadOptions.BlockListReadInterval"/> per recording, and a call sooner is
/// a 429 with Retry-After that writes nothing (docs/ingest.md, "Live uploads"). Every answer that passes judges a fresh
/// reading, so the limits are checked exactly as before. The caller holds the recording's row lock.
/// </summary>
public sealed class BlockListReads(IOptions<LiveUploadOptions> options)
{
    public const string Heartbeat = "heartbeat";
    public const string Renewal = "renewal";
    public const string Upload = "upload";

    // Transaction times on both sides: a read recorded by a call that started later makes an earlier one wait longer.
    private const string WaitSql = """
        SELECT greatest(0, extract(epoch FROM (block_list_reads ->> @Kind)::timestamptz + @Interval - now()))::float8
        FROM recordings WHERE id = @Id
        """;

    private const string RecordSql = """
        UPDATE recordings SET block_list_reads = coalesce(block_list_reads, '{}'::jsonb) || jsonb_build_object(@Kind, now())
        WHERE id = @Id AND status = 'uploading'
        """;

    /// <summary>Null when a <paramref name="kind"/> call may read the recording's block list now; else the 429 saying when.</summary>
    public async Task<Failure?> RefusalAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long recordingId, string kind,
        CancellationToken cancellationToken)
    {
        var interval = options.Value.BlockListReadInterval;
        var wait = await connection.ExecuteScalarAsync<double>(new CommandDefinition(WaitSql,
            new { Id = recordingId, Kind = kind, Interval = interval }, transaction, cancellationToken: cancellationToken));
        if (wait <= 0)
        {
            return null;
        }
        var retryAfter = TimeSpan.FromSeconds(Math.Ceiling(wait));
        return new Failure(FailureKind.TooManyRequests,
            string.Create(CultureInfo.InvariantCulture, $"The blocks of recording {recordingId} are read at most once every " +
                $"{interval.TotalSeconds:0.###} seconds by each kind of call ({kind}): try again after the Retry-After seconds."),
            Extensions: new Dictionary<string, object?> { ["retryAfterSeconds"] = (long)retryAfter.TotalSeconds },
            RetryAfter: retryAfter);
    }

    /// <summary>Reads the block list for a <paramref name="kind"/> call, and records when (in the caller's transaction).</summary>
    public async Task<StagedBlocks> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long recordingId, string kind,
        BlockBlobClient blob, CancellationToken cancellationToken)
    {
        var staged = await StagedBlocks.ReadAsync(blob, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(RecordSql, new { Id = recordingId, Kind = kind }, transaction,
            cancellationToken: cancellationToken));
        return staged;
    }
}
