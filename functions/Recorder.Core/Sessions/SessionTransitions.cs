using System.Collections.Frozen;

namespace Recorder.Core.Sessions;

public static class SessionStatuses
{
    public const string Active = "active";
    public const string Completed = "completed";
    public const string Interrupted = "interrupted";

    public static readonly IReadOnlyList<string> All = [Active, Completed, Interrupted];
}

/// <summary>What a client (or the sweep, as <see cref="Interrupt"/>) asks of a session.</summary>
public enum SessionCommand
{
    Heartbeat,
    Complete,
    Interrupt,
}

public enum TransitionKind
{
    /// <summary>The command applies: the session moves to <see cref="SessionTransition.To"/> (a heartbeat keeps it active).</summary>
    Apply,

    /// <summary>The session already ended the way the command asks: a retry of the call that ended it is answered
    /// with the session unchanged, any other body is a conflict.</summary>
    Repeat,

    /// <summary>The session is in a state the command cannot leave from: a conflict.</summary>
    Forbidden,
}

public readonly record struct SessionTransition(TransitionKind Kind, string To);

/// <summary>
/// The whole state machine of a recording session. Only <c>active</c> moves; <c>completed</c> and
/// <c>interrupted</c> are final. Every pair not in the table is forbidden.
/// </summary>
public static class SessionTransitions
{
    private static readonly FrozenDictionary<(string From, SessionCommand Command), SessionTransition> Table =
        new Dictionary<(string From, SessionCommand Command), SessionTransition>
        {
            [(SessionStatuses.Active, SessionCommand.Heartbeat)] = new(TransitionKind.Apply, SessionStatuses.Active),
            [(SessionStatuses.Active, SessionCommand.Complete)] = new(TransitionKind.Apply, SessionStatuses.Completed),
            [(SessionStatuses.Active, SessionCommand.Interrupt)] = new(TransitionKind.Apply, SessionStatuses.Interrupted),
            [(SessionStatuses.Completed, SessionCommand.Complete)] = new(TransitionKind.Repeat, SessionStatuses.Completed),
            [(SessionStatuses.Interrupted, SessionCommand.Interrupt)] = new(TransitionKind.Repeat, SessionStatuses.Interrupted),
        }.ToFrozenDictionary();

    public static SessionTransition Decide(string from, SessionCommand command)
        => Table.TryGetValue((from, command), out var transition) ? transition : new SessionTransition(TransitionKind.Forbidden, from);
}
