using System.Globalization;

namespace Recorder.Cli;

/// <summary>A plain-text table for reports: a header line, then rows; numbers right-aligned.</summary>
public sealed class TextTable(params (string Header, bool AlignRight)[] columns)
{
    private readonly List<string[]> rows = [];

    public void Add(params string[] cells)
    {
        if (cells.Length != columns.Length)
        {
            throw new ArgumentException($"A row of this table has {columns.Length} cells, not {cells.Length}.", nameof(cells));
        }
        rows.Add(cells);
    }

    public void WriteTo(TextWriter output)
    {
        var widths = columns.Select((column, i) => rows.Select(row => row[i].Length).Prepend(column.Header.Length).Max()).ToArray();
        output.WriteLine(Line(columns.Select(column => column.Header).ToArray(), widths));
        foreach (var row in rows)
        {
            output.WriteLine(Line(row, widths));
        }
    }

    private string Line(string[] cells, int[] widths)
        => string.Join("  ", cells.Select((cell, i) => columns[i].AlignRight ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i])))
            .TrimEnd();

    /// <summary>Bytes for people: binary units (KiB, MiB, GiB, TiB). Stored and computed figures stay in bytes.</summary>
    public static string Size(long bytes)
    {
        string[] units = ["KiB", "MiB", "GiB", "TiB"];
        if (bytes < 1024)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{bytes} B");
        }
        var value = (decimal)bytes;
        var unit = -1;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return string.Create(CultureInfo.InvariantCulture, $"{value:0.00} {units[unit]}");
    }

    public static string Number(decimal? value, string format)
        => value is { } number ? number.ToString(format, CultureInfo.InvariantCulture) : "-";
}
