using System.Numerics;
using System.Globalization;
using Recorder.Core.Lifecycle;

namespace Recorder.Cli.Commands;

/// <summary>The <c>--user</c> / <c>--project</c> / <c>--recording</c> options the retention commands share.</summary>
internal static class RetentionArguments
{
    public static RetentionSubject Subject(CliContext context, bool recordingAllowed, bool projectAllowed)
    {
        var user = context.Arguments.Single("user");
        var project = context.Arguments.Single("project");
        var recording = context.Arguments.Single("recording");
        var allowed = new List<string> { "--user" };
        if (projectAllowed)
        {
            allowed.Add("--project");
        }
        if (recordingAllowed)
        {
            allowed.Add("--recording");
        }
        if ((project is not null && !projectAllowed) || (recording is not null && !recordingAllowed)
            || new[] { user, project, recording }.Count(value => value is not null) != 1)
        {
            throw new CliUsageException($"Give exactly one of {string.Join(", ", allowed)}.");
        }
        return new RetentionSubject(user, project is null ? null : Number<int>(project, "project"),
            recording is null ? null : Number<long>(recording, "recording"));
    }

    public static T Number<T>(string value, string option) where T : INumber<T>
        => T.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > T.Zero
            ? number
            : throw new CliUsageException($"Option '--{option}' must be a positive whole number, not '{value}'.");
}
