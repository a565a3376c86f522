using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Recorder.Core.Uploads.Sas;

/// <summary>
/// Holds one user delegation key and renews it, one fetch at a time, once less than the longest URL
/// lifetime (or the SAS being signed) plus <see cref="SasOptions.ClockSkew"/> remains: a SAS stops
/// working when its key expires, whatever its own expiry.
/// </summary>
/// <param name="fetchKey">Gets a key valid from the first to the second time (<c>GetUserDelegationKeyAsync</c>).</param>
public sealed class UserDelegationKeyCache(
    Func<DateTimeOffset, DateTimeOffset, CancellationToken, Task<UserDelegationKey>> fetchKey,
    IOptions<SasOptions> options,
    TimeProvider time,
    ILogger<UserDelegationKeyCache> logger)
{
    /// <summary>How long a fetched key is valid: hours, so keys are fetched rarely (Azure allows up to 7 days).</summary>
    public static readonly TimeSpan KeyLifetime = TimeSpan.FromHours(6);

    private readonly SemaphoreSlim fetching = new(1, 1);
    private volatile UserDelegationKey? current;

    public async Task<UserDelegationKey> GetKeyAsync(DateTimeOffset sasExpiresOn, CancellationToken cancellationToken)
    {
        if (current is { } cached && cached.SignedExpiresOn >= RequiredUntil(sasExpiresOn))
        {
            return cached;
        }

        await fetching.WaitAsync(cancellationToken);
        try
        {
            // Another caller may have renewed it while this one waited.
            var requiredUntil = RequiredUntil(sasExpiresOn);
            if (current is { } renewed && renewed.SignedExpiresOn >= requiredUntil)
            {
                return renewed;
            }

            var now = time.GetUtcNow();
            var expiresOn = now + KeyLifetime > requiredUntil ? now + KeyLifetime : requiredUntil;
            var key = await fetchKey(now - options.Value.ClockSkew, expiresOn, cancellationToken);
            logger.LogInformation("Fetched a user delegation key valid until {KeyExpiresOn}", key.SignedExpiresOn);
            current = key;
            return key;
        }
        finally
        {
            fetching.Release();
        }
    }

    private DateTimeOffset RequiredUntil(DateTimeOffset sasExpiresOn)
    {
        var settings = options.Value;
        var longest = time.GetUtcNow() + settings.LongestUrlLifetime;
        return (sasExpiresOn > longest ? sasExpiresOn : longest) + settings.ClockSkew;
    }
}
