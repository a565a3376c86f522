using System.Data;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Recorder.Core.Uploads;

namespace Recorder.Core.Privacy;

/// <summary>
/// Who an erasure was about, without naming them: the subject hash is HMAC-SHA256, keyed by
/// <c>privacy_subject_key</c> (readable by recorder_maintenance only), of the user's blob folder (the first
/// segment of their blob names: the user id, or a digest of it). Receipts carry it, and a blob that turns up
/// after an erasure is recognised by it, since its name begins with that folder.
/// </summary>
public static class PrivacySubjects
{
    private const string KeySql = "SELECT key FROM privacy_subject_key WHERE id = 1";

    // An erasure a legal hold stopped does not count: the user's late blobs are quarantined as anyone's are, and the
    // erasure's own sweep removes them once the hold is lifted.
    private const string ErasedSql = $"""
        SELECT EXISTS (
          SELECT 1 FROM privacy_erasures e
          WHERE e.subject_hash = @SubjectHash AND NOT ({ErasureSql.StoppedByLegalHold}))
        """;

    /// <summary>The blob folder of the user: every blob of theirs is named <c>{folder}/…</c>.</summary>
    public static string Folder(string userId) => UploadService.UserFolder(userId);

    public static async Task<string> HashAsync(
        IDbConnection connection, IDbTransaction? transaction, string folder, CancellationToken cancellationToken)
        => Hash(await KeyAsync(connection, transaction, cancellationToken), folder);

    /// <summary>The subject key; the database's own, so a restore brings back the key its hashes were made with.</summary>
    public static async Task<byte[]> KeyAsync(IDbConnection connection, IDbTransaction? transaction, CancellationToken cancellationToken)
        => await connection.ExecuteScalarAsync<byte[]>(
            new CommandDefinition(KeySql, transaction: transaction, cancellationToken: cancellationToken))
            ?? throw new InvalidOperationException("privacy_subject_key holds no key: migration 015 did not run.");

    public static string Hash(byte[] key, string folder)
        => Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(folder)));

    /// <summary>Names the key without revealing it: a ledger entry made with another key cannot be matched, and says so.</summary>
    public static string KeyId(byte[] key) => Hash(key, "recorder erasure ledger key id")[..16];

    /// <summary>Whether the blob (by its name's first segment) belongs to a user whose recorder data was erased.</summary>
    public static async Task<bool> IsErasedAsync(IDbConnection connection, string blobName, CancellationToken cancellationToken)
    {
        var slash = blobName.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            return false;
        }
        var subjectHash = await HashAsync(connection, null, blobName[..slash], cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(
            new CommandDefinition(ErasedSql, new { SubjectHash = subjectHash }, cancellationToken: cancellationToken));
    }
}
