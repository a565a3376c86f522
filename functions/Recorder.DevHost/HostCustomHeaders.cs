namespace Recorder.DevHost;

/// <summary>
/// host.json's <c>extensions.http.customHeaders</c> applied as the Functions host applies them: each is
/// added to every response, as it starts, unless the response set that header itself.
/// </summary>
public static class HostCustomHeaders
{
    public static void UseHostCustomHeaders(this WebApplication app, IReadOnlyDictionary<string, string> headers)
        => app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                foreach (var (name, value) in headers)
                {
                    context.Response.Headers.TryAdd(name, value);
                }
                return Task.CompletedTask;
            });
            return next(context);
        });
}
