using Microsoft.Extensions.DependencyInjection;

namespace Recorder.Core.Imports;

public static class ImportsServiceCollectionExtensions
{
    /// <summary>The import of recorder-page exports (<c>recorder import-client-recordings</c>).</summary>
    public static IServiceCollection AddClientRecordingImport(this IServiceCollection services)
        => services.AddSingleton<ClientRecordingImporter>();
}
