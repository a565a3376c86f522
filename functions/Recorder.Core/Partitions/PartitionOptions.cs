namespace Recorder.Core.Partitions;

public sealed class PartitionOptions
{
    public const string SectionName = "Partitions";

    /// <summary>How many weeks of recording_sessions partitions exist ahead of the current one.</summary>
    public int WeeksAhead { get; set; } = 8;
}
