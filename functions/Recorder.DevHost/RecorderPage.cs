using Azure.Storage.Blobs;
using Microsoft.Extensions.FileProviders;

namespace Recorder.DevHost;

/// <summary>
/// Serves the demo recorder page (<c>web/recorder</c>, "/" its index.html) with headers that keep it to
/// itself: a Content-Security-Policy allowing its own files and the recordings account only, no inline
/// script or style attribute, never framed; no MIME sniffing; no referrer. Production serves no page: an
/// app that serves the client module sets its own (docs/recorder-page.md, "Content-Security-Policy").
/// </summary>
public static class RecorderPage
{
    public static void UseRecorderPage(this WebApplication app, string folder)
    {
        var policy = ContentSecurityPolicy(app.Services.GetRequiredService<BlobServiceClient>().Uri);
        app.UseFileServer(new FileServerOptions
        {
            FileProvider = new PhysicalFileProvider(folder),
            StaticFileOptions =
            {
                OnPrepareResponse = file =>
                {
                    var headers = file.Context.Response.Headers;
                    headers.ContentSecurityPolicy = policy;
                    headers.XContentTypeOptions = "nosniff";
                    headers["Referrer-Policy"] = "no-referrer";
                },
            },
        });
    }

    /// <summary>
    /// The page's own script, style sheet and API ('self'); the recordings account for block uploads
    /// (connect-src), thumbnails (img-src) and playback (media-src); its icon is a data: URL.
    /// </summary>
    public static string ContentSecurityPolicy(Uri blobServiceUri)
    {
        var storage = blobServiceUri.GetLeftPart(UriPartial.Authority);
        return string.Join("; ",
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            $"img-src 'self' data: {storage}",
            $"media-src 'self' {storage}",
            $"connect-src 'self' {storage}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'");
    }
}
