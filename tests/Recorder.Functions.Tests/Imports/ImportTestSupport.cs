using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Recorder.Functions.Tests.Ingest;
using Recorder.Testing;

namespace Recorder.Functions.Tests.Imports;

/// <summary>
/// A recorder-page export written the way <c>exportLocalRecordings</c> writes it (docs/recorder-page.md):
/// manifest.json and files/&lt;localId&gt;.&lt;ext&gt;, unpacked in a temporary folder or packed as a ZIP of stored entries.
/// </summary>
internal sealed class ClientExportFolder : IDisposable
{
    private readonly JsonArray recordings = [];

    public string Path { get; } = Directory.CreateTempSubdirectory("recorder-import-").FullName;

    public string ManifestPath => System.IO.Path.Combine(Path, "manifest.json");

    /// <summary>Adds a media fixture as a recording; returns its manifest entry, which a test may then spoil.</summary>
    public JsonObject Add(string fixture, string recordingType, string mimeType, decimal? durationSeconds = null)
    {
        var localId = Guid.NewGuid().ToString();
        var fileName = $"files/{localId}{System.IO.Path.GetExtension(fixture)}";
        var target = System.IO.Path.Combine(Path, fileName);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
        File.Copy(TestEnvironment.MediaFixture(fixture), target);
        var bytes = File.ReadAllBytes(target);
        var entry = new JsonObject
        {
            ["localId"] = localId,
            ["title"] = $"{fixture} recorded offline",
            ["recordingType"] = recordingType,
            ["mimeType"] = mimeType,
            ["createdAt"] = "2026-11-25T15:40:00.000Z",
            ["durationSeconds"] = durationSeconds,
            ["fileName"] = fileName,
            ["sizeBytes"] = bytes.Length,
            ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes)),
        };
        recordings.Add(entry);
        return entry;
    }

    /// <summary>An entry as written, without a file behind it.</summary>
    public void AddRaw(JsonNode entry) => recordings.Add(entry);

    public string WriteManifest()
    {
        File.WriteAllText(ManifestPath, new JsonObject
        {
            ["version"] = 1,
            ["exportedAt"] = "2026-11-25T16:00:00.000Z",
            ["recordings"] = recordings.DeepClone(),
        }.ToJsonString());
        return ManifestPath;
    }

    /// <summary>The manifest and the files in a ZIP of stored entries, as the page saves it.</summary>
    public string WriteZip()
    {
        WriteManifest();
        var zipPath = System.IO.Path.Combine(Path, "recordings-export.zip");
        using var archive = ZipFile.Open(zipPath, ZipArchiveMode.Create);
        archive.CreateEntryFromFile(ManifestPath, "manifest.json", CompressionLevel.NoCompression);
        foreach (var file in Directory.GetFiles(System.IO.Path.Combine(Path, "files")))
        {
            archive.CreateEntryFromFile(file, "files/" + System.IO.Path.GetFileName(file), CompressionLevel.NoCompression);
        }
        return zipPath;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>
/// The built <c>recorder</c> command as a process, configured by environment variables for the ingest host's
/// database and containers (and nothing from a local.settings.json: it runs in an empty folder).
/// </summary>
internal static class ImportCommand
{
    public sealed record Run(int ExitCode, string Output);

    /// <summary>Small blocks, so even the small fixtures go up in several Put Block requests.</summary>
    public const int BlockSize = 16 * 1024;

    public static async Task<Run> RunAsync(IngestTestHost ingest, string userId, string manifestPath, string? storageConnectionString = null)
    {
        using var process = Start(ingest, userId, manifestPath, storageConnectionString);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new Run(process.ExitCode, await output + await error);
    }

    public static Process Start(IngestTestHost ingest, string userId, string manifestPath, string? storageConnectionString = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = System.IO.Path.GetTempPath(),
        };
        start.ArgumentList.Add(System.IO.Path.Combine(TestEnvironment.ProjectOutput("Recorder.Cli"), "recorder.dll"));
        foreach (var argument in new[] { "import-client-recordings", "--user", userId, "--manifest", manifestPath })
        {
            start.ArgumentList.Add(argument);
        }
        var storage = ingest.Api.Storage;
        start.Environment["Database__AppConnectionString"] = ingest.Api.Database.AppConnectionString;
        start.Environment["Database__MaintenanceConnectionString"] = ingest.Api.Database.MaintenanceConnectionString;
        start.Environment["RecordingsStorage"] = storageConnectionString ?? TestEnvironment.StorageConnectionString;
        start.Environment["Storage__UploadsContainer"] = storage.UploadsContainer;
        start.Environment["Storage__ProcessedContainer"] = storage.ProcessedContainer;
        start.Environment["Storage__ThumbnailsContainer"] = storage.ThumbnailsContainer;
        start.Environment["Storage__ExportsContainer"] = storage.ExportsContainer;
        start.Environment["Storage__DeadLetterContainer"] = storage.DeadLetterContainer;
        start.Environment["Storage__ErasureLedgerContainer"] = storage.ErasureLedgerContainer;
        start.Environment["Recordings__UploadBlockSizeBytes"] = BlockSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
    }
}
