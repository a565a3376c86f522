namespace Recorder.Core.Uploads.Sas;

/// <summary>Short-lived SAS URLs for one blob each, for the browser to upload or read straight from storage.</summary>
public interface IBlobSasIssuer
{
    /// <summary>
    /// URL a browser can upload ONE blob with: a single Put Blob, or Put Block + Put Block List. Narrowest
    /// permissions (Write, which can also replace a committed blob: callers decide whether to issue one).
    /// </summary>
    Task<Uri> CreateUploadUriAsync(string container, string blobName, DateTimeOffset expiresOn, CancellationToken cancellationToken);

    /// <summary>
    /// Fetches now whatever signing URLs that expire by <paramref name="expiresOn"/> needs from outside this process (a user
    /// delegation key), so that a caller can do the part that may fail before it writes anything.
    /// </summary>
    Task PrepareAsync(DateTimeOffset expiresOn, CancellationToken cancellationToken);

    /// <summary>URL to read (GET, ranged GET, HEAD) ONE blob, e.g. the media or thumbnail for the page.</summary>
    Task<Uri> CreateReadUriAsync(string container, string blobName, DateTimeOffset expiresOn, CancellationToken cancellationToken);
}
