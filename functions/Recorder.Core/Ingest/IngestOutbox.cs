using System.Text.Json;
using Azure;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Recorder.Core.Data;

namespace Recorder.Core.Ingest;

/// <summary>An ingest message written to the outbox in the transaction that made it due.</summary>
public sealed record OutboxEntry(long Id, IngestMessage Message);

/// <summary>
/// Queue messages that a committed change makes due. <see cref="AddAsync"/> writes one in the caller's
/// transaction, so it exists exactly when the change does; the committer then sends it
/// (<see cref="SendAsync"/>), and <see cref="SweepAsync"/> (the IngestRecoverySweep timer) sends what a
/// committer could not. A message is never visible before its change, and never lost after it.
/// </summary>
public sealed class IngestOutbox(
    RecorderDataSources dataSources, IngestQueue queue, IOptions<IngestOptions> options, ILogger<IngestOutbox> logger)
{
    private const int SweepBatchSize = 100;

    private const string AddSql = "INSERT INTO ingest_outbox (message) VALUES (@Message::jsonb) RETURNING id";

    private const string RemoveSql = "DELETE FROM ingest_outbox WHERE id = ANY(@Ids)";

    // Older than the committer's own send could still be under way; SKIP LOCKED: two sweeps share the work.
    private const string DueSql = """
        SELECT id AS Id, message::text AS Message FROM ingest_outbox
        WHERE created_at < now() - @ResendAfter
        ORDER BY id
        LIMIT @BatchSize
        FOR UPDATE SKIP LOCKED
        """;

    public static async Task<OutboxEntry> AddAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IngestMessage message, CancellationToken cancellationToken)
    {
        var id = await connection.ExecuteScalarAsync<long>(
            new CommandDefinition(AddSql, new { Message = message.ToJson() }, transaction, cancellationToken: cancellationToken));
        return new OutboxEntry(id, message);
    }

    /// <summary>
    /// Sends a committed entry and removes it. A failure is logged and left to the sweep: the change it follows is committed.
    /// </summary>
    public async Task SendAsync(OutboxEntry entry, CancellationToken cancellationToken)
    {
        try
        {
            await queue.SendAsync(entry.Message, cancellationToken);
            await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
            await connection.ExecuteAsync(
                new CommandDefinition(RemoveSql, new { Ids = new[] { entry.Id } }, cancellationToken: cancellationToken));
        }
        catch (Exception exception) when (exception is RequestFailedException or AggregateException or NpgsqlException)
        {
            // AggregateException: the storage SDK's retries all failed.
            logger.LogWarning(exception, "Ingest message {Kind} for recording {RecordingId} was not sent now; the outbox sweep sends it",
                entry.Message.Kind, entry.Message.RecordingId);
        }
    }

    /// <summary>
    /// Sends every entry older than <see cref="IngestOptions.OutboxResendAfter"/> (a committer died or failed), in batches.
    /// </summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var sent = 0;
        await using var connection = await dataSources.Maintenance.OpenConnectionAsync(cancellationToken);
        while (true)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var due = (await connection.QueryAsync<(long Id, string Message)>(new CommandDefinition(
                DueSql, new { ResendAfter = options.Value.OutboxResendAfter, BatchSize = SweepBatchSize }, transaction,
                cancellationToken: cancellationToken))).AsList();
            foreach (var (_, message) in due)
            {
                // A failure rolls the batch back: all of it is sent again next time, and handlers take duplicates.
                await queue.SendAsync(IngestMessage.FromJson(message), cancellationToken);
            }
            await connection.ExecuteAsync(
                new CommandDefinition(RemoveSql, new { Ids = due.Select(row => row.Id).ToArray() }, transaction,
                    cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
            sent += due.Count;
            if (due.Count < SweepBatchSize)
            {
                break;
            }
        }
        if (sent > 0)
        {
            logger.LogWarning("Outbox sweep sent {Count} ingest messages that their committer had not", sent);
        }
        return sent;
    }
}
