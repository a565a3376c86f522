using System.Text.Json.Serialization;

namespace Recorder.Core.Media.Probe;

// The parts of `ffprobe -print_format json -show_format -show_streams` that MediaProbe reads.
// ffprobe writes numbers it may not know (duration, bit_rate, sample_rate) as strings, "N/A" or absent.

internal sealed record FfprobeOutput(
    [property: JsonPropertyName("streams")] IReadOnlyList<FfprobeStream>? Streams,
    [property: JsonPropertyName("format")] FfprobeFormat? Format);

internal sealed record FfprobeFormat(
    [property: JsonPropertyName("format_name")] string? FormatName,
    [property: JsonPropertyName("duration")] string? Duration,
    [property: JsonPropertyName("bit_rate")] string? BitRate);

internal sealed record FfprobeStream(
    [property: JsonPropertyName("codec_type")] string? CodecType,
    [property: JsonPropertyName("codec_name")] string? CodecName,
    [property: JsonPropertyName("width")] int? Width,
    [property: JsonPropertyName("height")] int? Height,
    [property: JsonPropertyName("avg_frame_rate")] string? AverageFrameRate,
    [property: JsonPropertyName("r_frame_rate")] string? RealFrameRate,
    [property: JsonPropertyName("channels")] int? Channels,
    [property: JsonPropertyName("sample_rate")] string? SampleRate,
    [property: JsonPropertyName("disposition")] FfprobeDisposition? Disposition);

internal sealed record FfprobeDisposition(
    [property: JsonPropertyName("attached_pic")] int AttachedPicture);

[JsonSerializable(typeof(FfprobeOutput))]
internal sealed partial class FfprobeJsonContext : JsonSerializerContext;
