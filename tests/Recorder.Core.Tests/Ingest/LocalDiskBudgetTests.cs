using Microsoft.Extensions.Options;
using Recorder.Core.Ingest;
using Xunit;

namespace Recorder.Core.Tests.Ingest;

/// <summary>The seekable copies in flight never reserve more local disk than the budget, and a copy's share comes back once.</summary>
public sealed class LocalDiskBudgetTests
{
    private static LocalDiskBudget Budget(long bytes) => new(Options.Create(new IngestOptions { SeekableCopyDiskBudgetBytes = bytes }));

    [Fact]
    public void A_reservation_fits_only_in_what_the_others_left_and_returns_its_share_once()
    {
        var budget = Budget(100);
        using var first = budget.TryReserve(60);
        Assert.NotNull(first);
        Assert.Null(budget.TryReserve(41));

        var second = budget.TryReserve(40);
        Assert.NotNull(second);
        second.Dispose();
        second.Dispose(); // a second dispose must not hand the share back twice
        Assert.NotNull(budget.TryReserve(40));
        Assert.Null(budget.TryReserve(1));
    }

    [Fact]
    public async Task Concurrent_copies_never_hold_more_than_the_budget()
    {
        var budget = Budget(10);
        var held = 0;
        var most = 0;
        await Parallel.ForAsync(0, 2000, async (_, cancellationToken) =>
        {
            using var reservation = budget.TryReserve(3);
            if (reservation is null)
            {
                return;
            }
            var now = Interlocked.Add(ref held, 3);
            InterlockedMax(ref most, now);
            await Task.Yield();
            Interlocked.Add(ref held, -3);
        });
        Assert.InRange(most, 3, 9);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
