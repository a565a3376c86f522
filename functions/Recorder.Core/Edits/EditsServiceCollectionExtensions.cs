using Microsoft.Extensions.DependencyInjection;

namespace Recorder.Core.Edits;

public static class EditsServiceCollectionExtensions
{
    /// <summary>The edit history of recordings (trim, crop, filters, text overlays) with undo and redo.</summary>
    public static IServiceCollection AddRecordingEdits(this IServiceCollection services) => services.AddSingleton<EditsService>();
}
