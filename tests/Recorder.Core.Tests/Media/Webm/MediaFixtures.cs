using System.Globalization;

namespace Recorder.Core.Tests.Media.Webm;

/// <summary>
/// The committed files of tests/fixtures/media, copied beside the tests, and their ground truth from
/// durations.txt: where the last packet ends as ffprobe reads the whole file (see that folder's README).
/// </summary>
internal static class MediaFixtures
{
    public static string Folder { get; } = Path.Combine(AppContext.BaseDirectory, "fixtures", "media");

    private static readonly Lazy<Dictionary<string, TimeSpan>> Durations = new(() => File.ReadLines(PathOf("durations.txt"))
        .Where(line => !line.StartsWith('#'))
        .Select(line => line.Split(' ', 2))
        .ToDictionary(parts => parts[0], parts => TimeSpan.FromSeconds(double.Parse(parts[1], CultureInfo.InvariantCulture))));

    public static string PathOf(string name) => Path.Combine(Folder, name);

    public static byte[] Bytes(string name) => File.ReadAllBytes(PathOf(name));

    public static TimeSpan PacketEnd(string name) => Durations.Value[name];
}
