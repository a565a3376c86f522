namespace Recorder.Testing;

/// <summary>The app's timer schedule settings, as hosts in tests and benchmarks start them.</summary>
public static class TimerSchedules
{
    /// <summary>
    /// Every timer at midnight of 1 January, which no run comes near: a host runs a timer only when the test or
    /// benchmark gives its schedule itself.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> Off { get; } = new Dictionary<string, string?>
    {
        ["PartitionMaintenanceSchedule"] = "0 0 0 1 1 *",
        ["StaleSessionSweepSchedule"] = "0 0 0 1 1 *",
        ["LifecycleSweepSchedule"] = "0 0 0 1 1 *",
        ["IngestRecoverySweepSchedule"] = "0 0 0 1 1 *",
        ["AlertsCheckSchedule"] = "0 0 0 1 1 *",
        ["PrivacySweepSchedule"] = "0 0 0 1 1 *",
        ["RecordingEventsDeliverySchedule"] = "0 0 0 1 1 *",
    };
}
