namespace Recorder.Cli.Commands;

/// <summary>One <c>recorder</c> subcommand: its name, its lines of the usage text, and what it does.</summary>
internal interface ICliCommand
{
    string Name { get; }

    /// <summary>The command's block of the usage text: first line "name  summary", then its options, indented.</summary>
    string Usage { get; }

    /// <summary>Whether a word may follow the command name (<c>recorder report storage</c>); elsewhere it is bad usage.</summary>
    bool TakesSubcommand => false;

    /// <summary>Runs the command; returns the process exit code (0 done, 1 failed, 2 bad usage).</summary>
    Task<int> RunAsync(CliContext context, CancellationToken cancellationToken);
}
