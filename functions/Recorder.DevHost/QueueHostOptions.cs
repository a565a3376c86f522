using System.Globalization;

namespace Recorder.DevHost;

/// <summary>
/// host.json's <c>extensions.queues</c> with the host's defaults and limits, except that an idle queue is polled every
/// 2 s at most and a <c>visibilityTimeout</c> of 0 retries after 3 s, so a local log is not flooded.
/// </summary>
/// <param name="BatchSize">Messages received at once, and the most run at a time per function (1–32).</param>
/// <param name="MaxDequeueCount">Attempts before a failing message moves to the poison queue.</param>
/// <param name="VisibilityTimeout">How long a failed message stays invisible before its next attempt, as configured.</param>
/// <param name="MaxPollingInterval">The longest wait between polls of an empty queue.</param>
/// <param name="Base64Messages"><c>messageEncoding</c>: base64 (the default) or none.</param>
public sealed record QueueHostOptions(
    int BatchSize, int MaxDequeueCount, TimeSpan VisibilityTimeout, TimeSpan MaxPollingInterval, bool Base64Messages)
{
    public static readonly TimeSpan MinPollingInterval = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan DefaultMaxPollingInterval = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan DefaultRetryDelay = TimeSpan.FromSeconds(3);

    private const string Section = "extensions:queues";

    public static QueueHostOptions Defaults { get; } = new(16, 5, TimeSpan.Zero, DefaultMaxPollingInterval, Base64Messages: true);

    /// <summary>When a failed message is tried again: <see cref="VisibilityTimeout"/>, or the dev host's 3 s for 0.</summary>
    public TimeSpan RetryDelay => VisibilityTimeout > TimeSpan.Zero ? VisibilityTimeout : DefaultRetryDelay;

    public static QueueHostOptions Read(HostJson hostJson)
    {
        var encoding = hostJson[$"{Section}:messageEncoding"];
        if (encoding is not null && !encoding.Equals("base64", StringComparison.OrdinalIgnoreCase)
            && !encoding.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            throw Invalid("messageEncoding", encoding, "base64 or none");
        }
        return new QueueHostOptions(
            Int(hostJson, "batchSize", Defaults.BatchSize, 1, 32),
            Int(hostJson, "maxDequeueCount", Defaults.MaxDequeueCount, 1, int.MaxValue),
            Interval(hostJson, "visibilityTimeout", Defaults.VisibilityTimeout, TimeSpan.Zero),
            Interval(hostJson, "maxPollingInterval", Defaults.MaxPollingInterval, MinPollingInterval),
            Base64Messages: !"none".Equals(encoding, StringComparison.OrdinalIgnoreCase));
    }

    private static int Int(HostJson hostJson, string name, int fallback, int min, int max)
        => hostJson[$"{Section}:{name}"] is not { } text ? fallback
            : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max ? value
            : throw Invalid(name, text, max == int.MaxValue ? $"a whole number of at least {min}" : $"a whole number from {min} to {max}");

    private static TimeSpan Interval(HostJson hostJson, string name, TimeSpan fallback, TimeSpan min)
        => hostJson[$"{Section}:{name}"] is not { } text ? fallback
            : TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) && value >= min ? value
            : throw Invalid(name, text, $"a time span (hh:mm:ss) of at least {min:c}");

    private static DevHostStartupException Invalid(string name, string value, string expected)
        => new($"host.json extensions.queues.{name} is '{value}'; it must be {expected}.");
}
