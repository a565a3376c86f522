using System.Text.RegularExpressions;

namespace Recorder.DevHost;

/// <summary>
/// The Functions host's <c>%Setting%</c> placeholders in trigger attributes (schedules, queue names): each is
/// replaced by the app setting of that name, so one expression may mix literal text and settings.
/// </summary>
public static partial class SettingPlaceholders
{
    /// <param name="what">What the expression is, for the error: "schedule", "queue name".</param>
    /// <exception cref="DevHostStartupException">A named setting is not set.</exception>
    public static string Resolve(string expression, IConfiguration configuration, string what)
        => Placeholder().Replace(expression, match =>
        {
            // App settings are environment-style names (Timers__Retention); configuration keys use ':'.
            var setting = match.Groups[1].Value;
            var value = configuration[setting.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal)];
            return string.IsNullOrWhiteSpace(value)
                ? throw new DevHostStartupException($"{what} '{expression}' names setting '{setting}', which is not set.")
                : value;
        });

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex Placeholder();
}
