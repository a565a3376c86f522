using System.Security.Cryptography;
using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;
using Microsoft.Extensions.Options;
using Recorder.Core.Uploads.Sas;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Uploads.Sas;

/// <summary>Upload URLs used the way the recorder page uses them: a credential-less client on Azurite.</summary>
public sealed class UploadUrlTests
{
    private const int BlockSize = 4 * 1024 * 1024;

    private readonly BlobServiceClient admin = TestStorage.CreateClient();
    private readonly AccountKeySasIssuer issuer = new(TestStorage.CreateClient(), Options.Create(new SasOptions()), TimeProvider.System);

    [Fact]
    public async Task Uploads_a_small_file_in_one_put()
    {
        var (blob, uploadUri) = await NewUploadAsync();
        var content = RandomBytes(10_000);

        await new BlockBlobClient(uploadUri).UploadAsync(new MemoryStream(content), new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "video/webm" },
        });

        Assert.Equal("video/webm", (await blob.GetPropertiesAsync()).Value.ContentType);
        Assert.Equal(content, (await blob.DownloadContentAsync()).Value.Content.ToArray());
    }

    [Fact]
    public async Task Uploads_64_mb_in_4_mb_blocks()
    {
        var (blob, uploadUri) = await NewUploadAsync();
        var content = RandomBytes(64 * 1024 * 1024);
        var browser = new BlockBlobClient(uploadUri);

        var blockIds = new List<string>();
        for (var offset = 0; offset < content.Length; offset += BlockSize)
        {
            var blockId = BlockId(blockIds.Count);
            await browser.StageBlockAsync(blockId, new MemoryStream(content, offset, BlockSize, writable: false));
            blockIds.Add(blockId);
        }
        await browser.CommitBlockListAsync(blockIds);

        Assert.Equal(16, blockIds.Count);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData((await blob.DownloadContentAsync()).Value.Content.ToArray()));
    }

    [Fact]
    public async Task Cannot_read_list_or_delete()
    {
        var (blob, uploadUri) = await NewUploadAsync();
        var browser = new BlockBlobClient(uploadUri);
        await browser.UploadAsync(new MemoryStream(RandomBytes(100)));
        var containerWithSameSas = new BlobContainerClient(new BlobUriBuilder(uploadUri) { BlobName = "" }.ToUri());

        await SasAssert.ForbiddenAsync(() => browser.DownloadContentAsync());
        await SasAssert.ForbiddenAsync(() => browser.GetPropertiesAsync());
        await SasAssert.ForbiddenAsync(async () =>
        {
            await foreach (var _ in containerWithSameSas.GetBlobsAsync())
            {
            }
        });
        await SasAssert.ForbiddenAsync(() => browser.DeleteAsync());
        Assert.True((await blob.ExistsAsync()).Value);
    }

    [Fact]
    public async Task Reaches_no_other_blob()
    {
        var (blob, uploadUri) = await NewUploadAsync();
        var otherBlob = new BlobUriBuilder(uploadUri) { BlobName = blob.Name + "-other" }.ToUri();

        await SasAssert.ForbiddenAsync(() => new BlockBlobClient(otherBlob).UploadAsync(new MemoryStream(RandomBytes(100))));
    }

    [Fact]
    public async Task Is_refused_after_it_expires()
    {
        var blob = await NewBlobAsync();
        var expired = await issuer.CreateUploadUriAsync(blob.BlobContainerName, blob.Name, DateTimeOffset.UtcNow.AddSeconds(-1), CancellationToken.None);

        await SasAssert.ForbiddenAsync(() => new BlockBlobClient(expired).UploadAsync(new MemoryStream(RandomBytes(100))));
        Assert.False((await blob.ExistsAsync()).Value);
    }

    [Fact]
    public async Task A_renewed_url_resumes_a_block_upload()
    {
        var (blob, firstUri) = await NewUploadAsync();
        var content = RandomBytes(4 * BlockSize);
        var blockIds = Enumerable.Range(0, 4).Select(BlockId).ToList();

        var first = new BlockBlobClient(firstUri);
        for (var i = 0; i < 2; i++)
        {
            await first.StageBlockAsync(blockIds[i], new MemoryStream(content, i * BlockSize, BlockSize, writable: false));
        }
        var second = new BlockBlobClient(await issuer.CreateUploadUriAsync(blob.BlobContainerName, blob.Name, Soon(), CancellationToken.None));
        for (var i = 2; i < 4; i++)
        {
            await second.StageBlockAsync(blockIds[i], new MemoryStream(content, i * BlockSize, BlockSize, writable: false));
        }
        await second.CommitBlockListAsync(blockIds);

        Assert.Equal(content, (await blob.DownloadContentAsync()).Value.Content.ToArray());
    }

    // The limit of the Write permission (see BlobSasIssuer): a URL issued before the commit can replace the
    // blob until it expires. If this starts failing, the SAS itself refuses overwrites; update the comment.
    [Fact]
    public async Task A_url_issued_before_the_commit_can_replace_the_blob_until_it_expires()
    {
        var (blob, firstUri) = await NewUploadAsync();
        var secondUri = await issuer.CreateUploadUriAsync(blob.BlobContainerName, blob.Name, Soon(), CancellationToken.None);
        await new BlockBlobClient(firstUri).UploadAsync(new MemoryStream(Encoding.ASCII.GetBytes("first")));

        await new BlockBlobClient(secondUri).UploadAsync(new MemoryStream(Encoding.ASCII.GetBytes("second")));

        Assert.Equal("second", (await blob.DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task Grants_write_on_one_blob_from_the_clock_skew_to_the_expiry()
    {
        var clock = new TestClock(DateTimeOffset.UtcNow);
        var issuerAtClock = new AccountKeySasIssuer(TestStorage.CreateClient(), Options.Create(new SasOptions()), clock);
        var blob = await NewBlobAsync();
        var expiresOn = clock.GetUtcNow().AddMinutes(30);

        var query = SasAssert.Query(await issuerAtClock.CreateUploadUriAsync(blob.BlobContainerName, blob.Name, expiresOn, CancellationToken.None));

        Assert.Equal("w", query["sp"]);
        Assert.Equal("b", query["sr"]);
        Assert.Equal("https,http", query["spr"]); // Azurite is plain HTTP
        Assert.Equal(Seconds(clock.GetUtcNow().AddMinutes(-5)), SasAssert.Time(query, "st"));
        Assert.Equal(Seconds(expiresOn), SasAssert.Time(query, "se"));
    }

    // The premise of BlobSasIssuer's choice of Write over Create, as Azurite (and Azure) enforce it.
    [Fact]
    public async Task Create_alone_refuses_block_uploads()
    {
        var blob = await NewBlobAsync();
        var createOnly = blob.GenerateSasUri(new BlobSasBuilder(BlobSasPermissions.Create, Soon())
        {
            BlobContainerName = blob.BlobContainerName,
            BlobName = blob.Name,
            Resource = "b",
            StartsOn = DateTimeOffset.UtcNow.AddMinutes(-5),
            Protocol = SasProtocol.HttpsAndHttp,
        });
        var browser = new BlockBlobClient(createOnly);
        await admin.GetBlobContainerClient(blob.BlobContainerName).GetBlockBlobClient(blob.Name).StageBlockAsync(BlockId(0), new MemoryStream(RandomBytes(100)));

        await SasAssert.ForbiddenAsync(() => browser.StageBlockAsync(BlockId(1), new MemoryStream(RandomBytes(100))));
        await SasAssert.ForbiddenAsync(() => browser.CommitBlockListAsync([BlockId(0)]));
    }

    private async Task<BlobClient> NewBlobAsync()
    {
        var containers = await TestStorage.CreateContainersAsync();
        return admin.GetBlobContainerClient(containers.UploadsContainer).GetBlobClient($"users/7/{Guid.NewGuid():N}.webm");
    }

    private async Task<(BlobClient Blob, Uri UploadUri)> NewUploadAsync()
    {
        var blob = await NewBlobAsync();
        return (blob, await issuer.CreateUploadUriAsync(blob.BlobContainerName, blob.Name, Soon(), CancellationToken.None));
    }

    private static DateTimeOffset Soon() => DateTimeOffset.UtcNow.AddMinutes(30);

    private static DateTimeOffset Seconds(DateTimeOffset time) => time.AddTicks(-(time.Ticks % TimeSpan.TicksPerSecond));

    // Block ids of one blob must all have the same length.
    private static string BlockId(int index) => Convert.ToBase64String(Encoding.ASCII.GetBytes($"block-{index:D6}"));

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }
}
