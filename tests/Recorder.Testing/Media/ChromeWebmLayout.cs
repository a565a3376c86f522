using Recorder.Core.Media.Webm;

namespace Recorder.Testing.Media;

/// <summary>
/// Turns a WebM that ffmpeg wrote into the layout Chrome's MediaRecorder produces, which ffmpeg cannot write itself;
/// used to make long Chrome-like recordings that are too large to commit.
/// </summary>
public static class ChromeWebmLayout
{
    private const uint ClusterId = 0x1F43B675;

    /// <summary>
    /// Overwrites, in place, each Cluster's size with the all-ones "unknown" value of the same length: Chrome's
    /// muxer never goes back to fill sizes in. Returns <paramref name="file"/>.
    /// </summary>
    public static byte[] WithUnknownClusterSizes(byte[] file)
    {
        foreach (var position in ClusterOffsets(file))
        {
            Ebml.ReadHeader(file.AsSpan((int)position), out var cluster);
            var sizeAt = (int)position + 4; // the Cluster ID is 4 bytes
            var sizeLength = cluster.Length - 4;
            file[sizeAt] = (byte)(0xFF >> (sizeLength - 1));
            file.AsSpan(sizeAt + 1, sizeLength - 1).Fill(0xFF);
        }
        return file;
    }

    /// <summary>Where each Cluster of a file ffmpeg wrote starts (its Clusters still have their sizes).</summary>
    public static IReadOnlyList<long> ClusterOffsets(byte[] file)
    {
        var offsets = new List<long>();
        Ebml.ReadHeader(file, out var ebml);
        var position = (long)ebml.Length + ebml.Size;
        Ebml.ReadHeader(file.AsSpan((int)position), out var segment);
        position += segment.Length;
        while (position < file.Length && Ebml.ReadHeader(file.AsSpan((int)position), out var element) == EbmlStatus.Ok)
        {
            if (element.Id == ClusterId)
            {
                offsets.Add(position);
            }
            position += element.Length + element.Size;
        }
        return offsets;
    }
}
