using Azure;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Recorder.Core.Uploads.Sas;
using Xunit;

namespace Recorder.Core.Tests.Uploads.Sas;

public sealed class UserDelegationKeyCacheTests
{
    private static readonly SasOptions Settings = new(); // upload 30 min, read 15 min, clock skew 5 min

    private readonly TestClock clock = new();
    private readonly List<(DateTimeOffset StartsOn, DateTimeOffset ExpiresOn)> fetches = [];

    [Fact]
    public async Task Fetches_one_key_for_many_urls_from_the_clock_skew_for_the_key_lifetime()
    {
        var cache = Cache(FetchAsync);

        var keys = new List<UserDelegationKey>();
        for (var i = 0; i < 3; i++)
        {
            keys.Add(await cache.GetKeyAsync(clock.GetUtcNow() + Settings.UploadUrlLifetime, CancellationToken.None));
        }

        Assert.Equal([(TestClock.Start.AddMinutes(-5), TestClock.Start + UserDelegationKeyCache.KeyLifetime)], fetches);
        Assert.All(keys, key => Assert.Same(keys[0], key));
    }

    [Fact]
    public async Task Renews_the_key_once_it_would_not_outlive_the_longest_url_by_the_clock_skew()
    {
        var cache = Cache(FetchAsync);
        var first = await cache.GetKeyAsync(clock.GetUtcNow().AddMinutes(15), CancellationToken.None);

        clock.Advance(UserDelegationKeyCache.KeyLifetime - TimeSpan.FromMinutes(35)); // 30 + 5 left: still enough
        var kept = await cache.GetKeyAsync(clock.GetUtcNow().AddMinutes(15), CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(1));
        var renewed = await cache.GetKeyAsync(clock.GetUtcNow().AddMinutes(15), CancellationToken.None);

        Assert.Same(first, kept);
        Assert.NotSame(first, renewed);
        Assert.Equal(2, fetches.Count);
        Assert.Equal(clock.GetUtcNow() + UserDelegationKeyCache.KeyLifetime, renewed.SignedExpiresOn);
    }

    [Fact]
    public async Task Fetches_a_longer_key_for_a_url_that_would_outlive_it()
    {
        var cache = Cache(FetchAsync);
        await cache.GetKeyAsync(clock.GetUtcNow().AddMinutes(30), CancellationToken.None);
        var longUrlExpiry = clock.GetUtcNow().AddHours(10);

        var key = await cache.GetKeyAsync(longUrlExpiry, CancellationToken.None);

        Assert.Equal(longUrlExpiry.AddMinutes(5), key.SignedExpiresOn);
        Assert.Equal(2, fetches.Count);
    }

    [Fact]
    public async Task Concurrent_callers_wait_for_one_fetch()
    {
        var answer = new TaskCompletionSource<UserDelegationKey>(TaskCreationOptions.RunContinuationsAsynchronously);
        var cache = Cache((startsOn, expiresOn, _) =>
        {
            fetches.Add((startsOn, expiresOn));
            return answer.Task;
        });

        var callers = Enumerable.Range(0, 8).Select(_ => cache.GetKeyAsync(clock.GetUtcNow().AddMinutes(30), CancellationToken.None)).ToList();
        Assert.Single(fetches);
        Assert.All(callers, caller => Assert.False(caller.IsCompleted));
        var key = Key(fetches[0].StartsOn, fetches[0].ExpiresOn);
        answer.SetResult(key);

        Assert.All(await Task.WhenAll(callers), got => Assert.Same(key, got));
        Assert.Single(fetches);
    }

    [Fact]
    public async Task Keeps_no_failed_fetch()
    {
        var failNext = true;
        var cache = Cache((startsOn, expiresOn, ct) =>
        {
            if (failNext)
            {
                failNext = false;
                throw new RequestFailedException(503, "storage unavailable");
            }
            return FetchAsync(startsOn, expiresOn, ct);
        });

        await Assert.ThrowsAsync<RequestFailedException>(() => cache.GetKeyAsync(clock.GetUtcNow().AddMinutes(30), CancellationToken.None));
        var key = await cache.GetKeyAsync(clock.GetUtcNow().AddMinutes(30), CancellationToken.None);

        Assert.Equal(clock.GetUtcNow() + UserDelegationKeyCache.KeyLifetime, key.SignedExpiresOn);
    }

    // Positional: the factory's overloads share parameter names; this one is (oid, tid, start, expiry, service, version, value).
    private static UserDelegationKey Key(DateTimeOffset startsOn, DateTimeOffset expiresOn) => BlobsModelFactory.UserDelegationKey(
        "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222", startsOn, expiresOn, "b", "2025-11-05", Convert.ToBase64String(new byte[32]));

    private Task<UserDelegationKey> FetchAsync(DateTimeOffset startsOn, DateTimeOffset expiresOn, CancellationToken cancellationToken)
    {
        fetches.Add((startsOn, expiresOn));
        return Task.FromResult(Key(startsOn, expiresOn));
    }

    private UserDelegationKeyCache Cache(Func<DateTimeOffset, DateTimeOffset, CancellationToken, Task<UserDelegationKey>> fetch)
        => new(fetch, Options.Create(Settings), clock, NullLogger<UserDelegationKeyCache>.Instance);
}
