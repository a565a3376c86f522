using Recorder.Core.Sessions;
using Xunit;

namespace Recorder.Core.Tests.Sessions;

public sealed class SessionTransitionsTests
{
    public static TheoryData<string, SessionCommand, TransitionKind, string> EveryPair => new()
    {
        { "active", SessionCommand.Heartbeat, TransitionKind.Apply, "active" },
        { "active", SessionCommand.Complete, TransitionKind.Apply, "completed" },
        { "active", SessionCommand.Interrupt, TransitionKind.Apply, "interrupted" },
        { "completed", SessionCommand.Heartbeat, TransitionKind.Forbidden, "completed" },
        { "completed", SessionCommand.Complete, TransitionKind.Repeat, "completed" },
        { "completed", SessionCommand.Interrupt, TransitionKind.Forbidden, "completed" },
        { "interrupted", SessionCommand.Heartbeat, TransitionKind.Forbidden, "interrupted" },
        { "interrupted", SessionCommand.Complete, TransitionKind.Forbidden, "interrupted" },
        { "interrupted", SessionCommand.Interrupt, TransitionKind.Repeat, "interrupted" },
    };

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void Only_an_active_session_moves(string from, SessionCommand command, TransitionKind kind, string to)
        => Assert.Equal(new SessionTransition(kind, to), SessionTransitions.Decide(from, command));

    [Fact]
    public void The_table_covers_every_status_and_command()
    {
        Assert.Equal(SessionStatuses.All.Count * Enum.GetValues<SessionCommand>().Length, EveryPair.Count());
        Assert.Equal(
            SessionStatuses.All.SelectMany(status => Enum.GetValues<SessionCommand>().Select(command => (status, command))).Order(),
            EveryPair.Select(row => ((string)row[0], (SessionCommand)row[1])).Order());
    }

    [Fact]
    public void An_unknown_status_is_forbidden_everything()
        => Assert.All(Enum.GetValues<SessionCommand>(), command => Assert.Equal(TransitionKind.Forbidden, SessionTransitions.Decide("paused", command).Kind));
}
