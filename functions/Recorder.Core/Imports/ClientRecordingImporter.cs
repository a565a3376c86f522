using System.Collections.Frozen;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Dapper;
using Microsoft.Extensions.Logging;
using Recorder.Core.Api;
using Recorder.Core.Audit;
using Recorder.Core.Data;
using Recorder.Core.Recordings;
using Recorder.Core.Security;
using Recorder.Core.Uploads;

namespace Recorder.Core.Imports;

/// <summary>
/// Imports a recorder-page export for one user through the normal upload path (upload URL, block upload, ingest). An
/// entry's <c>localId</c> is kept as <c>client_id</c>, so a re-run skips what is there and finishes what a crash left
/// half-done, never making a twin (docs/operations.md, "Importing client recordings").
/// </summary>
public sealed class ClientRecordingImporter(
    RecorderDataSources dataSources,
    UploadService uploads,
    TimeProvider time,
    ILogger<ClientRecordingImporter> logger)
{
    /// <summary>How the audit log's user agent names this path.</summary>
    public const string UserAgent = "recorder import-client-recordings";

    // The longest client id the schema keeps (recordings.client_id).
    private const int MaxClientIdLength = 100;

    // The command acts as the user, for exactly what an upload needs.
    private const string CallerMethod = "cli";

    // A URL with less than this left is renewed before the next request, so a request never starts on a dying URL.
    private static readonly TimeSpan RenewMargin = TimeSpan.FromMinutes(1);

    private static readonly IReadOnlySet<string> CallerScopes =
        new[] { RecordingScopes.Read, RecordingScopes.Write }.ToFrozenSet(StringComparer.Ordinal);

    // A few quick retries per block, then the entry fails and a re-run resumes it.
    private static readonly BlobClientOptions StorageClientOptions = new()
    {
        Retry = { MaxRetries = 3, Delay = TimeSpan.FromMilliseconds(500), MaxDelay = TimeSpan.FromSeconds(10),
            NetworkTimeout = TimeSpan.FromMinutes(2) },
    };

    private const string UserExistsSql = "SELECT EXISTS (SELECT 1 FROM users WHERE id = @UserId)";

    // idx_recordings_user_client_id: an abandoned upload no longer holds the client id (migration 016).
    private const string FindSql = """
        SELECT id AS Id, status AS Status, failure_reason AS FailureReason
        FROM recordings
        WHERE user_id = @UserId AND client_id = @ClientId AND failure_code IS DISTINCT FROM 'upload_abandoned'
        """;

    public async Task<ClientImportSummary> ImportAsync(
        string userId, ClientExport export, IProgress<ClientImportProgress>? progress, CancellationToken cancellationToken)
    {
        if (!await UserExistsAsync(userId, cancellationToken))
        {
            throw new InvalidOperationException($"There is no user '{userId}'.");
        }
        var caller = new Caller(userId, CallerScopes, CallerMethod);
        // One request id for the whole run, so the audit log shows what one import did.
        var requestInfo = new RequestInfo("import-" + Guid.NewGuid().ToString("N"), null, UserAgent);
        var entries = export.Manifest.Recordings;
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var results = new List<ClientImportResult>(entries.Count);
        foreach (var entry in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = await ImportEntryAsync(caller, requestInfo, export, entry, seen, cancellationToken);
            logger.LogInformation("Client recording {Entry} for user {UserId}: {Outcome} {RecordingId} {Reason}", result.Label, userId,
                result.Outcome, result.RecordingId, result.Reason);
            results.Add(result);
            progress?.Report(new ClientImportProgress(results.Count, entries.Count, result));
        }
        return new ClientImportSummary(results);
    }

    private async Task<ClientImportResult> ImportEntryAsync(Caller caller, RequestInfo requestInfo, ClientExport export,
        ClientExportEntry entry, Dictionary<string, int> seen, CancellationToken cancellationToken)
    {
        var label = string.IsNullOrWhiteSpace(entry.LocalId) ? $"entry {entry.Position}" : entry.LocalId;
        ClientImportResult Result(ClientImportOutcome outcome, long? recordingId = null, string? reason = null)
            => new(entry.Position, label, outcome, recordingId, reason);

        if (entry.Problem is not null)
        {
            return Result(ClientImportOutcome.Failed, reason: entry.Problem);
        }
        if (string.IsNullOrWhiteSpace(entry.LocalId) || entry.LocalId.Length > MaxClientIdLength)
        {
            return Result(ClientImportOutcome.Failed, reason: $"localId is required (1 to {MaxClientIdLength} characters).");
        }
        if (!seen.TryAdd(entry.LocalId, entry.Position))
        {
            return Result(ClientImportOutcome.Failed, reason: $"localId repeats entry {seen[entry.LocalId]} of the manifest.");
        }

        // Before the file checks: an entry imported earlier is done even if its file has gone since.
        var existing = await FindAsync(caller, requestInfo, entry.LocalId, cancellationToken);
        switch (existing)
        {
            case { Status: "processing" or "completed" }:
                return Result(ClientImportOutcome.AlreadyImported, existing.Id);
            case { Status: "failed" }:
                return Result(ClientImportOutcome.Failed, existing.Id,
                    $"imported before as recording {existing.Id}, which failed: {existing.FailureReason} (delete " +
                    $"it to import the file again).");
            case { Status: "deleting" }:
                return Result(ClientImportOutcome.Failed, existing.Id,
                    $"imported before as recording {existing.Id}, which is being deleted; run again once it is gone.");
        }

        var (file, request, problem) = await CheckAsync(export, entry, cancellationToken);
        if (problem is not null)
        {
            return Result(ClientImportOutcome.Failed, existing?.Id, problem);
        }

        ServiceResult<UploadTicket> issued;
        if (existing is not null)
        {
            // Created by an earlier run that stopped before the upload was committed: the same recording, a new URL.
            issued = await uploads.RenewAsync(caller, existing.Id, requestInfo, cancellationToken);
            if (issued.Failure is { Kind: FailureKind.Conflict })
            {
                // Its upload was committed after all (the run stopped before it could say so): ingest has it.
                return Result(ClientImportOutcome.AlreadyImported, existing.Id);
            }
        }
        else
        {
            issued = await uploads.CreateAsync(caller, request!, entry.LocalId, requestInfo, cancellationToken);
        }
        if (issued.Failure is { } refused)
        {
            return Result(ClientImportOutcome.Failed, existing?.Id, Describe(refused));
        }

        var ticket = issued.Value!;
        try
        {
            await new BlockUpload(uploads, time, caller, requestInfo, ticket).RunAsync(file!, cancellationToken);
        }
        catch (Exception exception) when (StorageProblem(exception, cancellationToken) is { } storageProblem)
        {
            return Result(ClientImportOutcome.Failed, ticket.RecordingId,
                $"the upload of recording {ticket.RecordingId} did not finish ({storageProblem}); run again to resume it.");
        }
        return Result(ClientImportOutcome.Imported, ticket.RecordingId);
    }

    /// <summary>The file and the upload request of an entry, or why it cannot be imported; reads the file once to hash it.</summary>
    private static async Task<(ExportFile? File, CreateUploadRequest? Request, string? Problem)> CheckAsync(
        ClientExport export, ClientExportEntry entry, CancellationToken cancellationToken)
    {
        if (entry.RecordingType is null || !RecordingTypes.All.Contains(entry.RecordingType))
        {
            return (null, null, $"recordingType '{entry.RecordingType}' is not one of {string.Join(", ", RecordingTypes.All)}.");
        }
        if (entry.MimeType is null || RecordingTypes.ExtensionFor(entry.RecordingType, entry.MimeType) is null)
        {
            return (null, null,
                $"mimeType '{entry.MimeType}' is not one of " +
                $"{string.Join(", ", RecordingTypes.AllowedMimeTypes(entry.RecordingType))} for a {entry.RecordingType} recording.");
        }
        DateTimeOffset? createdAt = null;
        if (entry.CreatedAt is not null)
        {
            if (!DateTimeOffset.TryParse(entry.CreatedAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return (null, null, $"createdAt '{entry.CreatedAt}' is not an ISO 8601 time.");
            }
            createdAt = parsed.ToUniversalTime();
        }
        if (entry.DurationSeconds is < 0)
        {
            return (null, null, "durationSeconds must not be negative.");
        }
        if (string.IsNullOrEmpty(entry.FileName))
        {
            return (null, null, "fileName is missing.");
        }
        var file = export.Find(entry.FileName);
        if (file is null)
        {
            return (null, null, $"file '{entry.FileName}' is not in the export.");
        }
        if (entry.SizeBytes is { } declared && declared != file.Length)
        {
            return (null, null, $"file '{entry.FileName}' has {file.Length} bytes; the manifest says {declared}.");
        }
        if (file.Length == 0)
        {
            return (null, null, $"file '{entry.FileName}' is empty.");
        }
        if (entry.Sha256 is not null)
        {
            await using var stream = file.Open();
            var actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
            if (!string.Equals(actual, entry.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                return (null, null, $"file '{entry.FileName}' does not match the manifest's sha256 (damaged, or not the file recorded).");
            }
        }

        // What the browser knew, kept beside what ingest measures: created_at stays the time the server
        // learned of the recording (the abandoned-upload sweep and retention count from it).
        var metadata = new JsonObject
        {
            ["clientImport"] = JsonSerializer.SerializeToNode(new
            {
                localId = entry.LocalId,
                createdAt = createdAt?.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                durationSeconds = entry.DurationSeconds,
                mimeType = entry.MimeType,
                exportedAt = export.Manifest.ExportedAt,
            }),
        };
        if (entry.Slides is { } slides)
        {
            // Where the page's own upload puts it, under the same rule.
            metadata[SlideTimeline.MetadataMember] = JsonNode.Parse(slides.GetRawText());
        }
        var request = new CreateUploadRequest
        {
            Title = entry.Title,
            RecordingType = entry.RecordingType,
            MimeType = entry.MimeType,
            FileSize = file.Length,
            Metadata = JsonSerializer.SerializeToElement(metadata),
        };
        return (file, request, null);
    }

    private async Task<bool> UserExistsAsync(string userId, CancellationToken cancellationToken)
        => await dataSources.App.RunAsUserAsync(userId, (connection, transaction) =>
            connection.ExecuteScalarAsync<bool>(
                new CommandDefinition(UserExistsSql, new { UserId = userId }, transaction, cancellationToken: cancellationToken)),
            cancellationToken);

    private sealed record ExistingRecording(long Id, string Status, string? FailureReason);

    /// <summary>The caller's recording made from this client id, if any; finding one is a read, audited.</summary>
    private async Task<ExistingRecording?> FindAsync(
        Caller caller, RequestInfo requestInfo, string clientId, CancellationToken cancellationToken)
        => await dataSources.App.RunAsUserAsync(caller.UserId, async (connection, transaction) =>
        {
            var existing = await connection.QuerySingleOrDefaultAsync<ExistingRecording>(new CommandDefinition(
                FindSql, new { caller.UserId, ClientId = clientId }, transaction, cancellationToken: cancellationToken));
            if (existing is not null)
            {
                await AuditLog.WriteAsync(connection, transaction,
                    new AuditEntry(caller.UserId, AuditActions.RecordingRead, AuditOutcomes.Success, existing.Id, new { clientId }),
                    requestInfo, cancellationToken);
            }
            return existing;
        }, cancellationToken);

    private static string Describe(Failure failure)
        => failure.Errors is { Count: > 0 } errors
            ? string.Join(" ", errors.Select(error => $"{error.Key} {string.Join(" ", error.Value)}"))
            : failure.Detail;

    /// <summary>A short reason for a failed storage request or read, or null for anything else (our own cancellation included).</summary>
    private static string? StorageProblem(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        RequestFailedException { Status: > 0 } failed => $"storage answered {failed.Status} {failed.ErrorCode}",
        RequestFailedException failed => FirstLine(failed.Message),
        // Azure.Core's retry gives up with every attempt's exception.
        AggregateException aggregate => StorageProblem(aggregate.InnerExceptions[^1], cancellationToken),
        IOException io => FirstLine(io.Message),
        BlockUploadException refused => refused.Message,
        OperationCanceledException when !cancellationToken.IsCancellationRequested => "a storage request timed out",
        _ => null,
    };

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    /// <summary>The upload URL was refused a renewal, or the file changed under the upload.</summary>
    private sealed class BlockUploadException(string message) : Exception(message);

    /// <summary>
    /// Put Block per <see cref="UploadTicket.BlockSize"/> slice of the file (read as it goes, so a large file is
    /// never held whole), then Put Block List with the media type, as the page does. The URL is renewed when it
    /// nears its expiry, and once after a 403 (a URL that expired in flight).
    /// </summary>
    private sealed class BlockUpload(UploadService uploads, TimeProvider time, Caller caller, RequestInfo requestInfo, UploadTicket ticket)
    {
        public async Task RunAsync(ExportFile file, CancellationToken cancellationToken)
        {
            var blockIds = new List<string>();
            var buffer = new byte[ticket.BlockSize];
            long sent = 0;
            await using (var stream = file.Open())
            {
                int read;
                while ((read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken)) > 0)
                {
                    // Ids of one length for the whole blob, as Put Block requires; the page's form.
                    var blockId = Convert.ToBase64String(Encoding.ASCII.GetBytes($"block-{blockIds.Count:D6}"));
                    var length = read;
                    await SendAsync(
                        blob => blob.StageBlockAsync(blockId, new MemoryStream(buffer, 0, length, writable: false),
                            cancellationToken: cancellationToken), cancellationToken);
                    blockIds.Add(blockId);
                    sent += read;
                }
            }
            if (sent != file.Length)
            {
                throw new BlockUploadException($"the file changed while it was read: {sent} bytes instead of {file.Length}");
            }
            // The recording's media type, as the URL's answer gives it for the commit.
            var commit = new CommitBlockListOptions { HttpHeaders = new BlobHttpHeaders { ContentType = ticket.Headers["Content-Type"] } };
            await SendAsync(blob => blob.CommitBlockListAsync(blockIds, commit, cancellationToken), cancellationToken);
        }

        private async Task SendAsync(Func<BlockBlobClient, Task> request, CancellationToken cancellationToken)
        {
            if (ticket.ExpiresAt - time.GetUtcNow() < RenewMargin)
            {
                await RenewAsync(cancellationToken);
            }
            try
            {
                await request(new BlockBlobClient(ticket.UploadUrl, StorageClientOptions));
            }
            catch (RequestFailedException exception) when (exception.Status == 403)
            {
                await RenewAsync(cancellationToken);
                await request(new BlockBlobClient(ticket.UploadUrl, StorageClientOptions));
            }
        }

        private async Task RenewAsync(CancellationToken cancellationToken)
        {
            var renewed = await uploads.RenewAsync(caller, ticket.RecordingId, requestInfo, cancellationToken);
            ticket = renewed.Value ?? throw new BlockUploadException($"no new upload URL: {Describe(renewed.Failure!)}");
        }
    }
}

public enum ClientImportOutcome
{
    Imported,
    AlreadyImported,
    Failed,
}

/// <param name="Position">1-based place of the entry in the manifest.</param>
/// <param name="Label">How reports name the entry: its localId, else its place.</param>
/// <param name="RecordingId">The recording made from the entry, when there is one.</param>
/// <param name="Reason">Why the entry failed.</param>
public sealed record ClientImportResult(int Position, string Label, ClientImportOutcome Outcome, long? RecordingId, string? Reason);

/// <summary>Entries done of the manifest's total, and the last one's result.</summary>
public readonly record struct ClientImportProgress(int Done, int Total, ClientImportResult Latest);

public sealed record ClientImportSummary(IReadOnlyList<ClientImportResult> Entries)
{
    public int Count(ClientImportOutcome outcome) => Entries.Count(entry => entry.Outcome == outcome);
}
