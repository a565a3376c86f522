using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Recorder.Core;

public static class ServiceCollectionExtensions
{
    public static IServiceCollection AddRecorderCore(this IServiceCollection services, IConfiguration configuration)
    {
        return services;
    }
}
