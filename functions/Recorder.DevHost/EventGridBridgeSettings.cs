using System.Globalization;

namespace Recorder.DevHost;

/// <summary>The Event Grid bridge's settings, checked at start-up (see <see cref="EventGridBridge"/>).</summary>
/// <param name="Topic">The event's <c>topic</c>; null for the Azurite account's resource id made up from the connection.</param>
public sealed record EventGridBridgeSettings(bool Enabled, string TargetFunction, TimeSpan Interval, string? Topic)
{
    /// <summary>false turns the bridge off.</summary>
    public const string EnabledSetting = "DevHost:EventBridge";

    /// <summary>The HTTP function events are posted to; <see cref="DefaultTargetFunction"/> when unset.</summary>
    public const string TargetSetting = "DevHost:EventBridgeTarget";

    public const string IntervalSetting = "DevHost:EventBridgeIntervalMs";

    /// <summary>An explicit topic, e.g. to see how the app treats events of another account.</summary>
    public const string TopicSetting = "DevHost:EventGridTopic";

    /// <summary>The topic the app accepts; the bridge sends it so the app takes the events as its own account's.</summary>
    public const string AppTopicSetting = "Ingest:StorageAccountTopic";

    public const string DefaultTargetFunction = "BlobCreatedWebhook";

    /// <exception cref="DevHostStartupException">A setting does not parse.</exception>
    public static EventGridBridgeSettings Read(IConfiguration configuration)
    {
        var enabled = configuration[EnabledSetting] is not { Length: > 0 } enabledText || (bool.TryParse(enabledText, out var on)
            ? on
            : throw new DevHostStartupException($"Setting '{EnabledSetting}' is '{enabledText}'; it must be true or false."));
        var interval = configuration[IntervalSetting] is not { Length: > 0 } intervalText ? TimeSpan.FromSeconds(1)
            : int.TryParse(intervalText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) && ms > 0
            ? TimeSpan.FromMilliseconds(ms)
            : throw new DevHostStartupException(
                $"Setting '{IntervalSetting}' is '{intervalText}'; it must be a whole number of milliseconds above 0.");
        var target = configuration[TargetSetting] is { Length: > 0 } configuredTarget ? configuredTarget : DefaultTargetFunction;
        var topic = new[] { configuration[TopicSetting], configuration[AppTopicSetting] }.FirstOrDefault(
            value => !string.IsNullOrWhiteSpace(value));
        return new EventGridBridgeSettings(enabled, target, interval, topic);
    }

    /// <summary>A storage account's resource id as Event Grid puts it in <c>topic</c>, in a made-up local subscription.</summary>
    public static string DefaultTopic(string accountName)
        => $"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local" +
            $"/providers/Microsoft.Storage/storageAccounts/{accountName}";
}
