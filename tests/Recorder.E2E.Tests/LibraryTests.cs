using System.Text.Json;
using Azure.Storage.Blobs.Models;
using Dapper;
using Microsoft.Playwright;
using Recorder.Testing;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Recorder.E2E.Tests;

/// <summary>"My recordings": the keyset list, rename, the trim editor with undo/redo, delete.</summary>
[Collection(E2ECollection.Name)]
public sealed class LibraryTests(E2EHost host)
{
    [Fact]
    public async Task Trim_undo_and_redo_go_through_the_edits_api()
    {
        await using var page = await RecorderPage.OpenAsync(host);
        await page.RecordAsync("camera", 5, "To be trimmed");
        await page.WaitUntilStoppedAsync(5);
        var id = await page.WaitForOutcomeAsync();

        await page.Item(id).GetByRole(AriaRole.Button, new() { Name = "Play & trim" }).ClickAsync();
        var editor = page.Page.Locator("#editor");
        await Expect(editor).ToBeVisibleAsync();
        await Expect(editor.Locator("#trim-state")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^Not trimmed"));
        await Eventually.TrueAsync(async () => await editor.Locator("#editor-video").EvaluateAsync<int>("video => video.readyState") >= 1, "the player loads the recording");
        await editor.GetByLabel("Start (s)").FillAsync("1");
        await editor.GetByLabel("End (s)").FillAsync("3");
        await editor.GetByRole(AriaRole.Button, new() { Name = "Apply trim" }).ClickAsync();
        await Expect(editor.Locator("#trim-state")).ToHaveTextAsync("Trimmed to 1.0 s – 3.0 s (2.0 s kept)");
        await page.ScreenshotAsync("trimmed");

        await editor.GetByRole(AriaRole.Button, new() { Name = "Undo" }).ClickAsync();
        await Expect(editor.Locator("#trim-state")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^Not trimmed"));
        await Expect(editor.GetByRole(AriaRole.Button, new() { Name = "Redo" })).ToBeEnabledAsync();
        await Expect(editor.GetByRole(AriaRole.Button, new() { Name = "Undo" })).ToBeDisabledAsync();
        await page.ScreenshotAsync("undone");

        await editor.GetByRole(AriaRole.Button, new() { Name = "Redo" }).ClickAsync();
        await Expect(editor.Locator("#trim-state")).ToHaveTextAsync("Trimmed to 1.0 s – 3.0 s (2.0 s kept)");
        await Expect(editor.GetByRole(AriaRole.Button, new() { Name = "Redo" })).ToBeDisabledAsync();
        await page.ScreenshotAsync("redone");

        await using var connection = await host.OpenMaintenanceAsync();
        var edit = await connection.QuerySingleAsync<(string EditType, string State, string Parameters)>(
            "SELECT edit_type, state, parameters::text FROM recording_edits WHERE recording_id = @id", new { id });
        Assert.Equal(("trim", "applied"), (edit.EditType, edit.State));
        using var parameters = JsonDocument.Parse(edit.Parameters);
        Assert.Equal(1m, parameters.RootElement.GetProperty("start").GetDecimal());
        Assert.Equal(3m, parameters.RootElement.GetProperty("end").GetDecimal());
        Assert.Equal(3, await connection.ExecuteScalarAsync<long>("SELECT edit_version FROM recordings WHERE id = @id", new { id }));
        page.AssertNoErrors();
    }

    [Fact]
    public async Task Delete_removes_the_recording_from_the_list_and_its_blobs_from_storage()
    {
        await using var page = await RecorderPage.OpenAsync(host);
        await page.RecordAsync("audio", 5, "To be deleted");
        await page.WaitUntilStoppedAsync(5);
        var id = await page.WaitForOutcomeAsync();
        // Ingest's seekable copy runs after completion; deleting is tested once every blob exists.
        await Eventually.TrueAsync(
            async () => await host.QuerySingleAsync<bool>("SELECT media_blob_name IS NOT NULL FROM recordings WHERE id = @id", new { id }),
            "the seekable copy is made");
        var prefix = $"{page.UserId}/{id}/";
        Assert.NotEmpty(await BlobsAsync(prefix));
        await page.ScreenshotAsync("before-delete");

        await page.Item(id).GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(page.Page.Locator("#confirm-dialog")).ToBeVisibleAsync();
        await page.ScreenshotAsync("confirm");
        await page.Page.Locator("#confirm-dialog").GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();

        await Expect(page.Item(id)).ToHaveCountAsync(0);
        await Expect(page.Page.Locator("#empty")).ToBeVisibleAsync();
        await page.ScreenshotAsync("deleted");
        await Eventually.TrueAsync(async () => (await BlobsAsync(prefix)).Count == 0, "the recording's blobs are gone");
        Assert.Equal(0, await host.QuerySingleAsync<int>("SELECT count(*)::int FROM recordings WHERE id = @id", new { id }));
        page.AssertNoErrors();
    }

    [Fact]
    public async Task The_list_pages_with_load_more_and_rename_changes_the_title()
    {
        await using var page = await RecorderPage.OpenAsync(host);
        // Nine recordings awaiting upload, made through the page's own client with the page's cookie.
        await page.EvaluateAsync<int>("""
            async () => {
              const { RecorderClient } = await import('/recorder-client.js');
              const client = new RecorderClient();
              for (let i = 1; i <= 9; i++) {
                await client.createUpload({ title: `Take ${i}`, recordingType: 'camera', mimeType: 'video/webm', fileSize: 1000 });
              }
              return 9;
            }
            """);
        await page.Page.ReloadAsync();

        await Expect(page.Library.Locator(".item")).ToHaveCountAsync(8);
        await Expect(page.Library.Locator(".item-title").First).ToHaveTextAsync("Take 9");
        await page.ScreenshotAsync("first-page");
        await page.Page.GetByRole(AriaRole.Button, new() { Name = "Load more" }).ClickAsync();
        await Expect(page.Library.Locator(".item")).ToHaveCountAsync(9);
        await Expect(page.Library.Locator(".item-title").Last).ToHaveTextAsync("Take 1");
        await Expect(page.Page.GetByRole(AriaRole.Button, new() { Name = "Load more" })).ToBeHiddenAsync();

        var first = page.Library.Locator(".item").Last;
        var id = long.Parse((await first.GetAttributeAsync("data-recording-id"))!, System.Globalization.CultureInfo.InvariantCulture);
        await first.GetByRole(AriaRole.Button, new() { Name = "Rename" }).ClickAsync();
        var dialog = page.Page.Locator("#rename-dialog");
        await dialog.GetByLabel("Title").FillAsync("The very first take");
        await page.ScreenshotAsync("rename");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();

        await Expect(page.Item(id).Locator(".item-title")).ToHaveTextAsync("The very first take");
        Assert.Equal("The very first take", await host.QuerySingleAsync<string>("SELECT title FROM recordings WHERE id = @id", new { id }));
        await page.ScreenshotAsync("renamed");
        page.AssertNoErrors();
    }

    private async Task<List<string>> BlobsAsync(string prefix)
    {
        var names = new List<string>();
        foreach (var container in new[] { host.Storage.UploadsContainer, host.Storage.ProcessedContainer, host.Storage.ThumbnailsContainer })
        {
            await foreach (var blob in host.Container(container).GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }))
            {
                names.Add($"{container}/{blob.Name}");
            }
        }
        return names;
    }
}
