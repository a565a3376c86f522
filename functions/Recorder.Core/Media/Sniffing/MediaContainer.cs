namespace Recorder.Core.Media.Sniffing;

/// <summary>A file's container as its leading bytes show it.</summary>
public enum MediaContainer
{
    Unknown,

    /// <summary>EBML: WebM and Matroska.</summary>
    Matroska,

    /// <summary>ISO base media (an <c>ftyp</c> box first), fragmented or not.</summary>
    Mp4,

    Ogg,

    /// <summary>RIFF (or RF64) with form type WAVE.</summary>
    Wav,

    /// <summary>An ID3v2 tag or an MPEG audio frame header.</summary>
    Mp3,

    /// <summary>AAC in ADTS frames (12-bit sync, layer 0).</summary>
    Aac,

    Png,

    Jpeg,
}
