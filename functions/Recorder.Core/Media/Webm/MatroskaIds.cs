namespace Recorder.Core.Media.Webm;

/// <summary>The Matroska element IDs the duration reader looks at (marker bits included).</summary>
internal static class MatroskaIds
{
    public const uint Ebml = 0x1A45DFA3;
    public const uint DocType = 0x4282;
    public const uint Segment = 0x18538067;

    public const uint SeekHead = 0x114D9B74;
    public const uint Info = 0x1549A966;
    public const uint TimecodeScale = 0x2AD7B1;
    public const uint Duration = 0x4489;
    public const uint Tracks = 0x1654AE6B;
    public const uint TrackEntry = 0xAE;
    public const uint TrackNumber = 0xD7;
    public const uint CodecId = 0x86;
    public const uint DefaultDuration = 0x23E383;
    public const uint CodecDelay = 0x56AA;
    public const uint Cues = 0x1C53BB6B;
    public const uint Chapters = 0x1043A770;
    public const uint Attachments = 0x1941A469;
    public const uint Tags = 0x1254C367;

    public const uint Cluster = 0x1F43B675;
    public const uint Timecode = 0xE7;
    public const uint Position = 0xA7;
    public const uint PrevSize = 0xAB;
    public const uint SilentTracks = 0x5854;
    public const uint SimpleBlock = 0xA3;
    public const uint BlockGroup = 0xA0;
    public const uint Block = 0xA1;
    public const uint BlockDuration = 0x9B;
    public const uint EncryptedBlock = 0xAF;

    public const uint Void = 0xEC;
    public const uint Crc32 = 0xBF;

    /// <summary>The Cluster ID as it appears in the byte stream, for searching.</summary>
    public static ReadOnlySpan<byte> ClusterBytes => [0x1F, 0x43, 0xB6, 0x75];

    /// <summary>Elements that sit directly in a Segment: one of them ends a Cluster of unknown size.</summary>
    public static bool IsTopLevel(uint id)
        => id is Cluster or Cues or Tags or Chapters or Attachments or SeekHead or Info or Tracks or Ebml or Segment;
}
