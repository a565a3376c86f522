using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Options;
using Recorder.Core.Uploads.Sas;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Uploads.Sas;

public sealed class ReadUrlTests
{
    private readonly BlobServiceClient admin = TestStorage.CreateClient();
    private readonly AccountKeySasIssuer issuer = new(TestStorage.CreateClient(), Options.Create(new SasOptions()), TimeProvider.System);

    [Fact]
    public async Task Gets_the_blob_a_range_of_it_and_its_properties()
    {
        var (_, content, readUri) = await NewReadableBlobAsync();
        var page = new BlobClient(readUri);

        var range = await page.DownloadStreamingAsync(new BlobDownloadOptions { Range = new HttpRange(100, 50) });
        using var ranged = new MemoryStream();
        await range.Value.Content.CopyToAsync(ranged);

        Assert.Equal(content, (await page.DownloadContentAsync()).Value.Content.ToArray());
        Assert.Equal(content[100..150], ranged.ToArray());
        var properties = (await page.GetPropertiesAsync()).Value;
        Assert.Equal((content.Length, "video/webm"), (properties.ContentLength, properties.ContentType));
    }

    [Fact]
    public async Task Cannot_write_or_delete()
    {
        var (blob, content, readUri) = await NewReadableBlobAsync();
        var page = new BlockBlobClient(readUri);

        await SasAssert.ForbiddenAsync(() => page.UploadAsync(new MemoryStream(new byte[10])));
        await SasAssert.ForbiddenAsync(() => page.StageBlockAsync(Convert.ToBase64String(new byte[8]), new MemoryStream(new byte[10])));
        await SasAssert.ForbiddenAsync(() => page.DeleteAsync());
        Assert.Equal(content, (await blob.DownloadContentAsync()).Value.Content.ToArray());
    }

    [Fact]
    public async Task Grants_read_only()
    {
        var (_, _, readUri) = await NewReadableBlobAsync();

        var query = SasAssert.Query(readUri);

        Assert.Equal(("r", "b"), (query["sp"], query["sr"]));
    }

    [Fact]
    public async Task Is_refused_after_it_expires()
    {
        var (_, _, readUri) = await NewReadableBlobAsync(DateTimeOffset.UtcNow.AddSeconds(-1));

        await SasAssert.ForbiddenAsync(() => new BlobClient(readUri).DownloadContentAsync());
    }

    private async Task<(BlobClient Blob, byte[] Content, Uri ReadUri)> NewReadableBlobAsync(DateTimeOffset? expiresOn = null)
    {
        var containers = await TestStorage.CreateContainersAsync();
        var blob = admin.GetBlobContainerClient(containers.ProcessedContainer).GetBlobClient($"users/7/{Guid.NewGuid():N}.webm");
        var content = new byte[1000];
        Random.Shared.NextBytes(content);
        await blob.UploadAsync(new MemoryStream(content), new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "video/webm" } });

        var readUri = await issuer.CreateReadUriAsync(blob.BlobContainerName, blob.Name, expiresOn ?? DateTimeOffset.UtcNow.AddMinutes(15), CancellationToken.None);
        return (blob, content, readUri);
    }
}
