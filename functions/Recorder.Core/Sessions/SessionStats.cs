namespace Recorder.Core.Sessions;

/// <param name="FailureRate">interrupted / (completed + interrupted), rounded to 4 places; null while no session has ended.</param>
public sealed record SessionCounts(long Total, long Active, long Completed, long Interrupted, double? FailureRate)
{
    public static SessionCounts Of(long active, long completed, long interrupted)
        => new(active + completed + interrupted, active, completed, interrupted,
            completed + interrupted == 0 ? null : Math.Round((double)interrupted / (completed + interrupted), 4));
}

/// <param name="ByBrowser">Keyed by the browser the server read from the
/// User-Agent; <see cref="SessionStats.UnknownBrowser"/> when it read none.</param>
public sealed record SessionStats(
    DateTimeOffset From,
    DateTimeOffset To,
    SessionCounts Total,
    IReadOnlyDictionary<string, SessionCounts> ByRecordingType,
    IReadOnlyDictionary<string, SessionCounts> ByBrowser)
{
    public const string UnknownBrowser = "unknown";
}
