using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using Recorder.Core.Api;

namespace Recorder.Core.Imports;

/// <summary>
/// An export of the recorder page (docs/recorder-page.md, "Export format: manifest + files"): the ZIP the
/// page writes, or the same layout unpacked into a folder and named by its manifest.json.
/// </summary>
public abstract class ClientExport : IDisposable
{
    public const int SupportedVersion = 1;

    // Files are named "files/<localId>.<ext>"; nothing legitimate comes near this.
    private const int MaxFileNameLength = 300;

    private static readonly JsonSerializerOptions ManifestOptions = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.Strict,
    };

    private ClientExport(ClientExportManifest manifest) => Manifest = manifest;

    public ClientExportManifest Manifest { get; }

    /// <summary>
    /// Opens a ZIP export (recognised by its signature, whatever its name) or a manifest.json whose files lie
    /// beside it. Throws <see cref="ClientExportException"/> when the manifest cannot be used at all.
    /// </summary>
    public static ClientExport Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new ClientExportException($"No file '{path}'.");
        }
        return IsZip(path) ? ZipExport.Read(path) : FolderExport.Read(path);
    }

    /// <summary>The file a manifest entry names, or null when the export holds no such file.</summary>
    public ExportFile? Find(string fileName)
        => fileName.Length is 0 or > MaxFileNameLength || fileName.Contains('\\')
            || fileName.Split('/').Any(segment => segment is "" or "." or "..")
            ? null
            : FindSafe(fileName);

    /// <param name="fileName">A relative path of plain segments separated by '/'.</param>
    protected abstract ExportFile? FindSafe(string fileName);

    public virtual void Dispose() => GC.SuppressFinalize(this);

    private static bool IsZip(string path)
    {
        Span<byte> signature = stackalloc byte[4];
        using var file = File.OpenRead(path);
        return file.ReadAtLeast(signature, 4, throwOnEndOfStream: false) == 4 && signature.SequenceEqual("PK\u0003\u0004"u8);
    }

    private static ClientExportManifest ReadManifest(Stream stream, string where)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream);
        }
        catch (JsonException exception)
        {
            throw new ClientExportException($"{where} is not JSON: {exception.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ClientExportException($"{where} must hold a JSON object.");
            }
            if (!root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number
                || !version.TryGetInt32(out var number))
            {
                throw new ClientExportException($"{where} has no numeric 'version'.");
            }
            if (number != SupportedVersion)
            {
                throw new ClientExportException($"{where} is version {number}; this command reads version {SupportedVersion}.");
            }
            if (!root.TryGetProperty("recordings", out var recordings) || recordings.ValueKind != JsonValueKind.Array)
            {
                throw new ClientExportException($"{where} has no 'recordings' array.");
            }
            var exportedAt = root.TryGetProperty("exportedAt", out var at) && at.ValueKind == JsonValueKind.String ? at.GetString() : null;
            // Entries one by one: a malformed entry is that entry's failure, not the whole import's.
            var entries = recordings.EnumerateArray().Select((element, index) => ReadEntry(element, index)).ToList();
            return new ClientExportManifest(exportedAt, entries);
        }
    }

    private static ClientExportEntry ReadEntry(JsonElement element, int index)
    {
        // The API's own rule (NUL, unpaired surrogates): such an entry is refused before any of it reaches PostgreSQL.
        var unstorable = new ValidationErrors();
        if (!StorableText.IsStorable(element, "", unstorable))
        {
            var fields = unstorable.ToFailure().Errors!.Keys;
            return new ClientExportEntry { Position = index + 1,
                Problem = $"holds text that cannot be stored ({string.Join(", ", fields)})" };
        }
        try
        {
            return (element.Deserialize<ClientExportEntry>(ManifestOptions)
                ?? new ClientExportEntry { Problem = "is null" }) with { Position = index + 1 };
        }
        catch (JsonException exception)
        {
            var localId = element.ValueKind == JsonValueKind.Object && element.TryGetProperty("localId", out var id)
                && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
            return new ClientExportEntry { Position = index + 1, LocalId = localId,
                Problem = $"is not a valid entry ({exception.Path}: {exception.Message})" };
        }
    }

    private sealed class FolderExport(ClientExportManifest manifest, string root) : ClientExport(manifest)
    {
        public static FolderExport Read(string manifestPath)
        {
            using var stream = File.OpenRead(manifestPath);
            var root = Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;
            return new FolderExport(ReadManifest(stream, manifestPath), root);
        }

        protected override ExportFile? FindSafe(string fileName)
        {
            var file = new FileInfo(Path.Combine(root, fileName));
            return file.Exists && !ReachedThroughLink(file) ? new ExportFile(file.Length, () => file.OpenRead()) : null;
        }

        // A symbolic link in an unpacked export could name any file the operator can read; only what lies in the
        // folder itself is the export's. FindSafe's names have no "..", so the walk up ends at the root.
        private bool ReachedThroughLink(FileInfo file)
        {
            if (file.LinkTarget is not null)
            {
                return true;
            }
            for (var directory = file.Directory;
                directory is not null && directory.FullName.TrimEnd('/') != root.TrimEnd('/');
                directory = directory.Parent)
            {
                if (directory.LinkTarget is not null)
                {
                    return true;
                }
            }
            return false;
        }
    }

    private sealed class ZipExport(ClientExportManifest manifest, ZipArchive archive) : ClientExport(manifest)
    {
        private const string ManifestName = "manifest.json";

        public static ZipExport Read(string zipPath)
        {
            ZipArchive archive;
            try
            {
                archive = ZipFile.OpenRead(zipPath);
            }
            catch (InvalidDataException exception)
            {
                throw new ClientExportException($"{zipPath} is not a readable ZIP: {exception.Message}");
            }
            try
            {
                var entry = archive.GetEntry(ManifestName) ?? throw new ClientExportException($"{zipPath} holds no {ManifestName}.");
                using var stream = entry.Open();
                return new ZipExport(ReadManifest(stream, $"{zipPath}: {ManifestName}"), archive);
            }
            catch
            {
                archive.Dispose();
                throw;
            }
        }

        protected override ExportFile? FindSafe(string fileName)
            => archive.GetEntry(fileName) is { } entry ? new ExportFile(entry.Length, entry.Open) : null;

        public override void Dispose()
        {
            archive.Dispose();
            base.Dispose();
        }
    }
}

/// <summary>One file of an export: its length, and a way to read it from the start (called once per pass).</summary>
public sealed record ExportFile(long Length, Func<Stream> Open);

/// <summary>What manifest.json says, entry by entry (each checked only when it is imported).</summary>
public sealed record ClientExportManifest(string? ExportedAt, IReadOnlyList<ClientExportEntry> Recordings);

/// <summary>One recording of the manifest, as written; every field may be missing or wrong.</summary>
public sealed record ClientExportEntry
{
    public string? LocalId { get; init; }
    public string? Title { get; init; }
    public string? RecordingType { get; init; }
    public string? MimeType { get; init; }
    public string? CreatedAt { get; init; }
    public decimal? DurationSeconds { get; init; }
    public string? FileName { get; init; }
    public long? SizeBytes { get; init; }
    public string? Sha256 { get; init; }

    /// <summary>The slide timeline of a slides recording, as the page kept it (checked by the upload's rule).</summary>
    public JsonElement? Slides { get; init; }

    /// <summary>1-based place in the manifest, for reports.</summary>
    [JsonIgnore]
    public int Position { get; init; }

    /// <summary>Why the entry could not even be read, or null.</summary>
    [JsonIgnore]
    public string? Problem { get; init; }
}

/// <summary>The export cannot be imported at all (missing, not JSON, an unknown version).</summary>
public sealed class ClientExportException(string message) : Exception(message);
