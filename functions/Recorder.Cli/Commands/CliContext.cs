using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Recorder.Core;

namespace Recorder.Cli.Commands;

/// <summary>What a command runs with: settings, its options, the console.</summary>
internal sealed class CliContext(IConfiguration configuration, CliArguments arguments, TextWriter output, TextWriter error)
{
    public IConfiguration Configuration { get; } = configuration;
    public CliArguments Arguments { get; } = arguments;
    public TextWriter Output { get; } = output;
    public TextWriter Error { get; } = error;

    /// <summary>
    /// The Functions app's own services (<see cref="ServiceCollectionExtensions.AddRecorderCore"/>) over the
    /// same settings, so a command does exactly what the timers and functions do. Options are validated
    /// here, since no host runs the start-up validation.
    /// </summary>
    public ServiceProvider BuildCoreServices()
    {
        var services = new ServiceCollection()
            .AddLogging(logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning))
            .AddSingleton(Configuration);
        services.AddRecorderCore(Configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>A required option; a missing one is bad usage (exit code 2).</summary>
    public string Required(string name)
        => Arguments.Single(name) ?? throw new CliUsageException($"Option '--{name}' is required.");
}

/// <summary>The command line is wrong: printed with the usage text, exit code 2.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
