using Azure;
using Microsoft.Extensions.Logging;
using Recorder.Core.Api;
using Recorder.Core.Data;

namespace Recorder.Core.Privacy;

/// <summary>
/// GDPR erasure of a user's recorder data: a <c>privacy_erasures</c> row that knows the user until storage holds nothing
/// of theirs, carried on by whichever run comes next (API, queue worker, CLI, privacy sweep) and paused by a legal hold.
/// States, steps and who moves them on: docs/privacy.md, "Erasure".
/// </summary>
public sealed class ErasureService(
    RecorderDataSources dataSources,
    ErasureDatabaseSteps steps,
    ErasureStorageSweep storage,
    ErasureLedger ledger,
    ErasureQueue queue,
    ILogger<ErasureService> logger)
{
    public const string ActorId = "privacy";

    /// <summary>First key of the session advisory lock one erasure's run holds ("priv"); the second is the erasure id.</summary>
    public const int LockClass = 0x70726976;

    /// <summary>
    /// The user's request: opens their erasure (or finds the one open), marks their recordings 'deleting' and
    /// queues the storage work; a 409 failure while a legal hold covers their data (a new erasure is refused with
    /// nothing changed; one a hold placed meanwhile stopped stays pending).
    /// </summary>
    public async Task<ServiceResult<ErasureReceipt>> RequestAsync(string userId, CancellationToken cancellationToken)
    {
        var opening = await steps.OpenAsync(userId, ErasureReceipt.ByUser, cancellationToken);
        if (opening.Erasure is not { } erasure)
        {
            return UnderLegalHold(opening.LegalHold!);
        }
        // The one step taken in the request: from here on the user's recordings are gone for the API.
        if (erasure.Status == ErasureReceipt.Pending
            && !await steps.MarkRecordingsAsync(erasure.Id, userId, cancellationToken)
            && await steps.LegalHoldAsync(userId, cancellationToken) is { } held)
        {
            return UnderLegalHold(held);
        }
        try
        {
            await queue.SendAsync(new ErasureMessage(erasure.Id), cancellationToken);
            logger.LogInformation("Erasure {ErasureId} {Request} by the user and queued", erasure.Id,
                opening.Opened ? "requested" : "asked for again");
        }
        catch (Exception exception) when (exception is RequestFailedException or AggregateException)
        {
            // The erasure row is what counts: the privacy sweep carries on an erasure whose message never came.
            logger.LogWarning(exception, "Erasure {ErasureId} could not be queued; the privacy sweep carries it on", erasure.Id);
        }
        return (await steps.GetAsync(erasure.Id, cancellationToken))!.ToReceipt();
    }

    /// <summary>
    /// The operator's erasure (<c>recorder erase-user</c>): opened or found as the user's request would, then run as
    /// far as it can go now, here, with progress; a 409 failure while a legal hold covers the user's data.
    /// </summary>
    public async Task<ServiceResult<ErasureReceipt>> EraseAsync(
        string userId, IProgress<PrivacyProgress>? progress, CancellationToken cancellationToken)
    {
        var opening = await steps.OpenAsync(userId, ErasureReceipt.ByOperator, cancellationToken);
        if (opening.Erasure is not { } erasure)
        {
            return UnderLegalHold(opening.LegalHold!);
        }
        var receipt = await TryContinueAsync(erasure.Id, progress, cancellationToken);
        // Still pending: a hold placed while this run went on stopped it (else storage was unreachable).
        if (receipt.Status == ErasureReceipt.Pending && await steps.LegalHoldAsync(userId, cancellationToken) is { } held)
        {
            return UnderLegalHold(held);
        }
        return receipt;
    }

    /// <summary>
    /// The queue worker's part: carries the erasure on; storage that cannot be reached throws, so the message comes again.
    /// </summary>
    public async Task RunAsync(ErasureMessage message, CancellationToken cancellationToken)
    {
        if (await ContinueAsync(message.ErasureId, progress: null, cancellationToken) is null)
        {
            logger.LogWarning("Erasure {ErasureId} does not exist; message dropped", message.ErasureId);
        }
    }

    /// <summary>The privacy sweep's part: every open erasure carried on (resumed, swept again, or completed).</summary>
    public async Task<int> ContinueOpenAsync(CancellationToken cancellationToken)
    {
        var open = await steps.OpenIdsAsync(cancellationToken);
        foreach (var id in open)
        {
            await TryContinueAsync(id, progress: null, cancellationToken);
        }
        return open.Count;
    }

    /// <summary>
    /// <c>recorder replay-erasures</c>: re-applies a ledger entry to the user of a restored database, as the original
    /// erasure did, under the entry's ledger id (so a second replay finds it); a 409 failure while a legal hold covers
    /// the user's data. Storage or ledger failures throw.
    /// </summary>
    public async Task<ServiceResult<ErasureReceipt>> ReplayAsync(
        string userId, ErasureLedgerEntry entry, CancellationToken cancellationToken)
    {
        var opening = await steps.OpenAsync(userId, ErasureReceipt.ByReplay, cancellationToken, entry.LedgerId, entry.Recordings);
        if (opening.Erasure is not { } erasure)
        {
            return UnderLegalHold(opening.LegalHold!);
        }
        var receipt = (await ContinueAsync(erasure.Id, progress: null, cancellationToken))!;
        if (receipt.Status == ErasureReceipt.Pending && await steps.LegalHoldAsync(userId, cancellationToken) is { } held)
        {
            return UnderLegalHold(held);
        }
        return receipt;
    }

    /// <summary>
    /// The erasure's state for the user it erased (found by their subject hash, so after it forgot the user id too);
    /// anyone else's, or an unknown id, is not found. Not audited: an entry about the user would outlive their erasure.
    /// </summary>
    public async Task<ServiceResult<ErasureReceipt>> GetAsync(string userId, long erasureId, CancellationToken cancellationToken)
        => await steps.GetForUserAsync(erasureId, userId, cancellationToken) is { } erasure
            ? erasure.ToReceipt()
            : Failure.NotFound($"Erasure {erasureId} does not exist.");

    private static Failure UnderLegalHold(string held)
        => new(FailureKind.Conflict,
            (held == "user" ? "This user's recorder data is under a legal hold" : "A recording of this user is under a legal hold")
            + ", so it cannot be erased while the hold lasts (GDPR Art. 17(3)(e)).",
            Extensions: new Dictionary<string, object?> { ["legalHold"] = held });

    /// <summary>
    /// <see cref="ContinueAsync"/>, leaving an erasure whose storage or ledger cannot be reached where it is for the next run.
    /// </summary>
    private async Task<ErasureReceipt> TryContinueAsync(
        long erasureId, IProgress<PrivacyProgress>? progress, CancellationToken cancellationToken)
    {
        try
        {
            return (await ContinueAsync(erasureId, progress, cancellationToken))!;
        }
        catch (Exception exception) when (exception is RequestFailedException or AggregateException)
        {
            // Nothing is lost track of: the erasure row still names the user; a re-run or the privacy sweep carries on.
            logger.LogWarning(exception, "Erasure {ErasureId} could not reach storage; it stays where it was for the next run", erasureId);
            return (await steps.GetAsync(erasureId, CancellationToken.None))!.ToReceipt();
        }
        catch (ErasureLedgerException exception)
        {
            // Its rows and blobs untouched, the erasure stays pending until the ledger takes its entry.
            logger.LogError(exception, "Erasure {ErasureId} could not write its erasure ledger entry; it stays pending", erasureId);
            return (await steps.GetAsync(erasureId, CancellationToken.None))!.ToReceipt();
        }
    }

    /// <summary>Takes the erasure from where it is as far as it can go now; null when there is no such erasure.</summary>
    private async Task<ErasureReceipt?> ContinueAsync(
        long erasureId, IProgress<PrivacyProgress>? progress, CancellationToken cancellationToken)
    {
        await using var runLock = await RunLock.TryTakeAsync(dataSources.Maintenance, LockClass, erasureId, cancellationToken);
        // Read after taking the lock: another run may have moved it on meanwhile.
        if (await steps.GetAsync(erasureId, cancellationToken) is not { } erasure)
        {
            return null;
        }
        if (runLock is null)
        {
            logger.LogInformation("Erasure {ErasureId} is being run elsewhere", erasureId);
            return erasure.ToReceipt();
        }
        if (erasure.UserId is not { } userId)
        {
            return erasure.ToReceipt();
        }
        var run = new RunProgress(progress, erasure.Status == ErasureReceipt.Pending ? 4 : 2);
        if (erasure.Status == ErasureReceipt.Pending)
        {
            // Each step first looks for a legal hold; one stops the erasure where it is, still pending.
            if (!await steps.MarkRecordingsAsync(erasureId, userId, cancellationToken))
            {
                return await StoppedByLegalHoldAsync(erasureId, cancellationToken);
            }
            run.Next("recordings marked for erasure");
            if (await steps.LegalHoldAsync(userId, cancellationToken) is not null)
            {
                return await StoppedByLegalHoldAsync(erasureId, cancellationToken);
            }
            // Nothing irreversible happens before the ledger has the erasure: a restore cannot bring back what it lacks.
            erasure = await RecordInLedgerAsync(erasure, userId, cancellationToken);
            await SweepStorageAsync(erasure, userId, cancellationToken);
            run.Next("storage swept");
            if (!await steps.DeleteRowsAsync(erasure, userId, cancellationToken))
            {
                return await StoppedByLegalHoldAsync(erasureId, cancellationToken);
            }
            run.Next("rows deleted, receipt written");
        }
        // Again after the rows: a blob committed meanwhile (a late upload of a recording being erased).
        await SweepStorageAsync(erasure, userId, cancellationToken);
        run.Next("storage swept again");
        await steps.CompleteIfDueAsync(erasureId, cancellationToken);
        var receipt = (await steps.GetAsync(erasureId, cancellationToken))!.ToReceipt();
        logger.LogInformation("Erasure {ErasureId} is {Status}", erasureId, receipt.Status);
        return receipt;
    }

    /// <summary>
    /// Appends the erasure's entry unless the ledger has every recording it marked; idempotent across retries (the
    /// entry's name follows from its content). A ledger that cannot be written throws: the erasure stays pending.
    /// </summary>
    private async Task<ErasureRow> RecordInLedgerAsync(ErasureRow erasure, string userId, CancellationToken cancellationToken)
    {
        var marked = await steps.MarkedRecordingsAsync(userId, cancellationToken);
        if (erasure.LedgeredRecordings is { } known && marked.All(known.Contains))
        {
            return erasure;
        }
        var key = await steps.SubjectKeyAsync(cancellationToken);
        await ledger.AppendAsync(new ErasureLedgerEntry(ErasureLedgerEntry.CurrentVersion, erasure.LedgerId, erasure.SubjectHash,
            PrivacySubjects.KeyId(key), Utc(erasure.RequestedAt), erasure.DeadLettersSince is { } since ? Utc(since) : null, marked),
            cancellationToken);
        await steps.LedgeredAsync(erasure.Id, marked, cancellationToken);
        logger.LogInformation("Erasure {ErasureId} is in the erasure ledger with {Recordings} recordings", erasure.Id, marked.Length);
        return (await steps.GetAsync(erasure.Id, cancellationToken))!;
    }

    private async Task SweepStorageAsync(ErasureRow erasure, string userId, CancellationToken cancellationToken)
    {
        var live = await steps.LiveRecordingsAsync(userId, cancellationToken);
        // A replay keeps the blobs of recordings its entry lacks: made after the original erasure, their rows are not
        // in the restored database, and the runbook's reconciliation takes them up. Quarantined blobs serve none.
        var ledgered = erasure.RequestedBy == ErasureReceipt.ByReplay ? erasure.LedgeredRecordings ?? [] : null;
        Func<long, bool> keeps = ledgered is null ? live.Contains : id => live.Contains(id) || !ledgered.Contains(id);
        DateTimeOffset? deadLettersSince = erasure.DeadLettersSince is { } since ? Utc(since) : null;
        var swept = await storage.SweepAsync(PrivacySubjects.Folder(userId), keeps, live.Contains, deadLettersSince, cancellationToken);
        await steps.AddSweptAsync(erasure.Id, swept, cancellationToken);
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    /// <summary>The erasure stays pending with what it did so far; the privacy sweep passes it over while the hold lasts.</summary>
    private async Task<ErasureReceipt> StoppedByLegalHoldAsync(long erasureId, CancellationToken cancellationToken)
    {
        logger.LogWarning(
            "Erasure {ErasureId} stopped: its user's recorder data is under a legal hold; it stays pending until the hold is lifted",
            erasureId);
        return (await steps.GetAsync(erasureId, cancellationToken))!.ToReceipt();
    }

    /// <summary>Progress in whole steps of one run.</summary>
    private sealed class RunProgress(IProgress<PrivacyProgress>? progress, int total)
    {
        private int done;

        public void Next(string item) => progress?.Report(new PrivacyProgress(++done, total, item));
    }
}
