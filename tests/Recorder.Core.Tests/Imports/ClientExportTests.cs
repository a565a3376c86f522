using Recorder.Core.Imports;
using Xunit;

namespace Recorder.Core.Tests.Imports;

/// <summary>What an unpacked export lets the import read: its own files, nothing reached through a link.</summary>
public sealed class ClientExportTests : IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("recorder-export-");
    private readonly DirectoryInfo outside = Directory.CreateTempSubdirectory("recorder-outside-");

    public void Dispose()
    {
        folder.Delete(recursive: true);
        outside.Delete(recursive: true);
    }

    [Fact]
    public void Files_reached_through_a_symbolic_link_are_not_the_exports()
    {
        var files = folder.CreateSubdirectory("files");
        File.WriteAllBytes(Path.Combine(files.FullName, "own.webm"), [1, 2, 3]);
        var secret = Path.Combine(outside.FullName, "secret.webm");
        File.WriteAllBytes(secret, [4, 5]);
        File.CreateSymbolicLink(Path.Combine(files.FullName, "linked.webm"), secret);
        Directory.CreateSymbolicLink(Path.Combine(folder.FullName, "elsewhere"), outside.FullName);
        var manifest = Path.Combine(folder.FullName, "manifest.json");
        File.WriteAllText(manifest, """{ "version": 1, "recordings": [] }""");

        using var export = ClientExport.Open(manifest);

        Assert.Equal(3, export.Find("files/own.webm")?.Length);
        Assert.Null(export.Find("files/linked.webm"));
        Assert.Null(export.Find("elsewhere/secret.webm"));
        Assert.Null(export.Find("files/../../" + outside.Name + "/secret.webm"));
    }

    [Theory]
    [InlineData("localId", """ "localId": "a\u0000b", "title": "fine" """)]
    [InlineData("title", """ "localId": "bad", "title": "a\ud800b" """)]
    public void An_entry_holding_text_postgresql_cannot_store_is_that_entrys_failure_not_the_imports(string field, string badFields)
    {
        var manifest = Path.Combine(folder.FullName, "manifest.json");
        File.WriteAllText(manifest, $$"""
            { "version": 1, "recordings": [
              { "localId": "good", "title": "fine", "recordingType": "audio", "mimeType": "audio/ogg", "fileName": "files/good.ogg" },
              { {{badFields}}, "recordingType": "audio", "mimeType": "audio/ogg", "fileName": "files/bad.ogg" }
            ] }
            """);

        using var export = ClientExport.Open(manifest);

        Assert.Null(export.Manifest.Recordings[0].Problem);
        var refused = export.Manifest.Recordings[1];
        Assert.Null(refused.LocalId);
        Assert.Contains(field, refused.Problem);
    }
}
