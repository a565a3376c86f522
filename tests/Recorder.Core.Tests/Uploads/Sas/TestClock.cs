namespace Recorder.Core.Tests.Uploads.Sas;

/// <summary>A clock that stands still until the test moves it.</summary>
internal sealed class TestClock(DateTimeOffset start) : TimeProvider
{
    public static readonly DateTimeOffset Start = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private DateTimeOffset now = start;

    public TestClock() : this(Start)
    {
    }

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}
