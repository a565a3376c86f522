using Microsoft.Extensions.Options;

namespace Recorder.Core.Ingest;

/// <summary>
/// The local disk the seekable copies of this process share (<see cref="IngestOptions.SeekableCopyDiskBudgetBytes"/>):
/// a copy reserves its size before it writes, so the copies in flight never add up to more than the disk holds,
/// whatever the queue hands out at once.
/// </summary>
public sealed class LocalDiskBudget(IOptions<IngestOptions> options)
{
    private readonly Lock gate = new();
    private long reserved;

    public long Capacity => options.Value.SeekableCopyDiskBudgetBytes;

    /// <summary>A reservation of <paramref name="bytes"/> (returned on dispose), or null while the rest of the budget is smaller.</summary>
    public IDisposable? TryReserve(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (gate)
        {
            if (bytes > Capacity - reserved)
            {
                return null;
            }
            reserved += bytes;
        }
        return new Reservation(this, bytes);
    }

    private void Return(long bytes)
    {
        lock (gate)
        {
            reserved -= bytes;
        }
    }

    private sealed class Reservation(LocalDiskBudget budget, long bytes) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                budget.Return(bytes);
            }
        }
    }
}
