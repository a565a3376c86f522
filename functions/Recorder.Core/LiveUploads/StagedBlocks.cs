using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Recorder.Core.LiveUploads;

/// <summary>One block storage holds for an upload blob, as Get Block List reports it.</summary>
/// <param name="Id">The Base64 block id, as the browser staged it.</param>
public sealed record StagedBlock(string Id, long Size, bool Committed)
{
    /// <summary>The block's place in the recording (<see cref="LiveBlockId"/>), or null for an id of another form.</summary>
    public int? Sequence { get; } = LiveBlockId.SequenceOf(Id);
}

/// <summary>
/// The blocks storage holds for an upload blob, committed and uncommitted, read with the server's identity (a browser's
/// Write-only upload URL cannot list them).
/// </summary>
/// <param name="Committed">The blob exists: the browser (or the server's recovery) has put it or committed a block list.</param>
public sealed record StagedBlocks(IReadOnlyList<StagedBlock> Blocks, bool Committed)
{
    /// <summary>Storage's limit of committed blocks per blob (it holds at most 100,000 uncommitted ones).</summary>
    public const int MaxCommittedBlocks = 50_000;

    public static readonly StagedBlocks None = new([], Committed: false);

    public long Bytes => Blocks.Sum(block => block.Size);

    public int Count => Blocks.Count;

    /// <summary>Committed blocks in blob order, then uncommitted ones by sequence number (ids of another form last).</summary>
    public static async Task<StagedBlocks> ReadAsync(BlockBlobClient blob, CancellationToken cancellationToken)
    {
        BlockList list;
        try
        {
            list = (await blob.GetBlockListAsync(BlockListTypes.All, cancellationToken: cancellationToken)).Value;
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            // Storage knows a blob only from its first staged block on.
            return None;
        }
        var uncommitted = list.UncommittedBlocks.Select(block => new StagedBlock(block.Name, block.SizeLong, Committed: false))
            .OrderBy(block => block.Sequence ?? int.MaxValue).ThenBy(block => block.Id, StringComparer.Ordinal);
        // A single Put Blob commits content without blocks.
        var committed = list.CommittedBlocks.Any() || list.BlobContentLength > 0;
        return new StagedBlocks([.. list.CommittedBlocks.Select(block => new StagedBlock(block.Name, block.SizeLong, Committed: true)),
            .. uncommitted], committed);
    }
}
