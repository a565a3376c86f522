using System.Buffers.Binary;
using Recorder.Core.Tests.Media.Ffmpeg;

namespace Recorder.Core.Tests.Media.Thumbnails;

/// <summary>Reads the images thumbnails are made of: sizes from their headers, pixels decoded by ffmpeg.</summary>
public static class Images
{
    /// <summary>Width and height from a JPEG's start-of-frame segment.</summary>
    public static (int Width, int Height) JpegSize(byte[] jpeg)
    {
        if (jpeg is not [0xFF, 0xD8, ..])
        {
            throw new InvalidDataException("Not a JPEG: no SOI marker.");
        }
        for (var at = 2; at + 9 <= jpeg.Length; at += 2 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(at + 2)))
        {
            var marker = jpeg[at + 1];
            // SOF0–SOF15, less DHT (C4), JPG (C8) and DAC (CC), which share the range.
            if (jpeg[at] == 0xFF && marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                return (BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(at + 7)), BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(at + 5)));
            }
        }
        throw new InvalidDataException("No start-of-frame segment in the JPEG.");
    }

    /// <summary>Width and height from a PNG's IHDR chunk.</summary>
    public static (int Width, int Height) PngSize(byte[] png)
    {
        if (!png.AsSpan().StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) || !png.AsSpan(12, 4).SequenceEqual("IHDR"u8))
        {
            throw new InvalidDataException("Not a PNG with an IHDR chunk first.");
        }
        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    /// <summary>Mean and standard deviation of the image's luma (0–255).</summary>
    public static async Task<(double Mean, double StandardDeviation)> LumaAsync(byte[] image)
        => Statistics(await DecodeAsync(image, "gray"));

    /// <summary>How many pixels are not fully transparent.</summary>
    public static async Task<int> OpaquePixelsAsync(byte[] image)
        => (await DecodeAsync(image, "rgba")).Chunk(4).Count(pixel => pixel[3] > 0);

    private static async Task<byte[]> DecodeAsync(byte[] image, string pixelFormat)
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, image);
            return await MediaSamples.RunFfmpegAsync(["-i", path, "-f", "rawvideo", "-pix_fmt", pixelFormat, "pipe:1"]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static (double Mean, double StandardDeviation) Statistics(byte[] samples)
    {
        var mean = samples.Average(s => (double)s);
        return (mean, Math.Sqrt(samples.Average(s => (s - mean) * (s - mean))));
    }
}
