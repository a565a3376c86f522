using Xunit;

namespace Recorder.Testing;

/// <summary>Polls until a condition holds, for what happens in another process or on another thread.</summary>
public static class Eventually
{
    /// <summary>Fails naming <paramref name="what"/> when the condition still does not hold after the timeout (30 s unless given).</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }
            await Task.Delay(50);
        }
    }

    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
        => TrueAsync(() => Task.FromResult(condition()), what, timeout);
}
