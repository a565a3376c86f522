using Microsoft.Extensions.Logging;

namespace Recorder.Cli;

internal static class CliLogging
{
    public static ILoggerFactory CreateFactory()
        => LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true));
}
