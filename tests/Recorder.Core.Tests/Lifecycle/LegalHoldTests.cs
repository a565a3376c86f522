using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Api;
using Recorder.Core.Lifecycle;
using Recorder.Core.Privacy;
using Recorder.Core.Recordings;
using Recorder.Core.Security;
using Recorder.Core.Tests.Privacy;
using Xunit;

namespace Recorder.Core.Tests.Lifecycle;

/// <summary>
/// A legal hold, on the recording or on its owner, keeps a recording from every path that can remove one: its row
/// and every blob it names stay, and so does its status unless the path changed it before the hold came or changes
/// it without removing anything (migration 024 is the rule's one home). Each path also runs without a hold and must
/// then remove what it removes, so a held case cannot pass because its path did nothing. A new path that can remove
/// a recording is a new entry in <see cref="Paths"/>.
/// </summary>
public sealed class LegalHoldTests : LifecycleTestBase
{
    private static readonly LifecycleOptions Settings = new() { RetentionDays = 30 };

    // ReconcileAfter zero: every blob counts as settled (the setting's floor is for production).
    private static readonly LifecycleOptions Reconciling = new() { RetentionDays = 30, ReconcileAfter = TimeSpan.Zero };

    private static readonly string[] Holds = ["recording", "user"];

    /// <summary>
    /// Each path: the recording it would remove, how it runs (placing the hold when the path is ready for it: first,
    /// unless the path begins before a hold can come), whether it removes the whole recording or its upload blob, and
    /// the status a held recording has after it when the path changes it.
    /// </summary>
    private static readonly Dictionary<string, RemovalPath> Paths = new()
    {
        ["the API delete"] = new(
            tests => tests.RecordingAsync("completed", TimeSpan.FromDays(1)),
            HoldFirst((tests, recording) => tests.DeleteOverTheApiAsync(recording))),
        ["retention under a project policy"] = new(
            tests => tests.RecordingAsync("completed", TimeSpan.FromDays(10), inProject: true),
            RetentionUnder(recording => new RetentionSubject(ProjectId: recording.ProjectId), days: 5)),
        ["retention under a user policy"] = new(
            tests => tests.RecordingAsync("completed", TimeSpan.FromDays(20)),
            RetentionUnder(recording => new RetentionSubject(UserId: recording.UserId), days: 10)),
        ["retention by default"] = new(
            tests => tests.RecordingAsync("completed", TimeSpan.FromDays(40)),
            HoldFirst((tests, _) => tests.harness.RunAsync(Settings))),
        ["the purge of a recording marked deleting"] = new(
            tests => tests.RecordingAsync("deleting", TimeSpan.FromDays(1)),
            HoldFirst((tests, _) => tests.harness.RunAsync(Settings))),
        // The upload blob is fresh, so the first run's reconciliation passes it over; the second run's takes it as
        // the failed upload's leftover.
        ["an abandoned upload, then reconciliation"] = new(
            tests => tests.RecordingAsync("uploading", TimeSpan.FromHours(30), servesCopy: false),
            HoldFirst(async (tests, _) =>
            {
                await tests.harness.RunAsync(Settings);
                await tests.harness.RunAsync(Reconciling);
            }),
            UploadOnly: true,
            StatusWhenHeld: "failed"),
        ["reconciliation of a completed recording's leftover upload"] = new(
            tests => tests.RecordingAsync("completed", TimeSpan.FromDays(2)),
            HoldFirst((tests, _) => tests.harness.RunAsync(Reconciling)),
            UploadOnly: true),
        ["erasure by recorder erase-user"] = new(
            tests => tests.RecordingAsync("completed", TimeSpan.FromDays(1)),
            HoldFirst((tests, recording) => tests.Erasures.RunAsync(service => service.EraseAsync(recording.UserId, progress: null, default)))),
        ["erasure requested over the API, carried on by the queue worker"] = new(
            tests => tests.RecordingAsync("completed", TimeSpan.FromDays(1)),
            RequestedErasureCarriedOn(async tests =>
            {
                var message = Assert.Single(await tests.Erasures.ReceiveAsync());
                await tests.Erasures.RunAsync(service => service.RunAsync(message, default));
            }),
            StatusWhenHeld: "deleting"),
        ["erasure requested over the API, carried on by the privacy sweep"] = new(
            tests => tests.RecordingAsync("completed", TimeSpan.FromDays(1)),
            RequestedErasureCarriedOn(tests => tests.Erasures.SweepAsync()),
            StatusWhenHeld: "deleting"),
    };

    private ErasureHarness? erasures;

    private ErasureHarness Erasures => erasures ??= new ErasureHarness(database, storage);

    public static TheoryData<string, string> PathsAndHolds()
    {
        var cases = new TheoryData<string, string>();
        foreach (var path in Paths.Keys)
        {
            foreach (var hold in Holds)
            {
                cases.Add(path, hold);
            }
        }
        return cases;
    }

    public static TheoryData<string> PathNames() => [.. Paths.Keys];

    [Theory]
    [MemberData(nameof(PathsAndHolds))]
    public async Task A_held_recording_keeps_its_row_and_every_blob_on_each_path_that_removes_recordings(string path, string hold)
    {
        var removal = Paths[path];
        var recording = await removal.Arrange(this);

        await removal.Act(this, recording, () => PlaceHoldAsync(recording, hold));

        Assert.Equal(recording.Parts, await PartsLeftAsync(recording));
        Assert.Equal(removal.StatusWhenHeld ?? recording.Status, await data.StatusAsync(recording.Id));
    }

    [Theory]
    [MemberData(nameof(PathNames))]
    public async Task Without_a_hold_each_path_removes_the_recording(string path)
    {
        var removal = Paths[path];
        var recording = await removal.Arrange(this);

        await removal.Act(this, recording, () => Task.CompletedTask);

        Assert.Equal(removal.UploadOnly ? recording.Parts.Where(part => part != RecordingParts.Upload) : [], await PartsLeftAsync(recording));
    }

    [Theory]
    [InlineData("none")]
    [InlineData("recording")]
    [InlineData("user")]
    public async Task The_dry_run_counts_no_held_recording_as_due_under_any_rule_or_as_waiting_in_deleting(string hold)
    {
        var byUserPolicy = await RecordingAsync("completed", TimeSpan.FromDays(20));
        var byProjectPolicy = await RecordingAsync("completed", TimeSpan.FromDays(10), inProject: true);
        var byDefault = await RecordingAsync("completed", TimeSpan.FromDays(40));
        var deleting = await RecordingAsync("deleting", TimeSpan.FromDays(1));
        await SetPolicyAsync(new RetentionSubject(UserId: byUserPolicy.UserId), days: 10);
        await SetPolicyAsync(new RetentionSubject(ProjectId: byProjectPolicy.ProjectId), days: 5);
        if (hold != "none")
        {
            foreach (var recording in new[] { byUserPolicy, byProjectPolicy, byDefault, deleting })
            {
                await PlaceHoldAsync(recording, hold);
            }
        }

        RetentionDryRun dryRun;
        await using (var services = harness.Build(Settings))
        {
            dryRun = await services.GetRequiredService<RetentionAdministration>().DryRunAsync(limit: 10, default);
        }

        var due = hold == "none" ? 1 : 0;
        Assert.Equal((due, due, due, due), (dryRun.ExpiredByRule.GetValueOrDefault(RetentionRules.User), dryRun.ExpiredByRule.GetValueOrDefault(RetentionRules.Project),
            dryRun.ExpiredByRule.GetValueOrDefault(RetentionRules.Default), dryRun.Deleting));
        Assert.Equal(3 * due, dryRun.Listed.Count);
    }

    /// <summary>A recording of a user of its own, with its upload and, when it serves a copy, the copy and a thumbnail.</summary>
    private async Task<TestRecording> RecordingAsync(string status, TimeSpan age, bool inProject = false, bool servesCopy = true)
    {
        var userId = await data.NewUserAsync();
        int? projectId = inProject ? await data.NewProjectAsync(userId) : null;
        var id = await data.InsertAsync(userId, status, age, projectId);
        var recording = new TestRecording(userId, id, status, projectId, LifecycleData.UploadName(userId, id),
            servesCopy ? $"{userId}/{id}/media.webm" : null, servesCopy ? $"{userId}/{id}/thumbnail.jpg" : null);
        await data.ExecuteAsync("UPDATE recordings SET media_blob_name = @Media, thumbnail_blob_name = @Thumbnail WHERE id = @Id", new { recording.Id, recording.Media, recording.Thumbnail });
        await data.UploadAsync(recording.Upload);
        if (servesCopy)
        {
            await data.UploadAsync(recording.Media!, storage.ProcessedContainer);
            await data.UploadAsync(recording.Thumbnail!, storage.ThumbnailsContainer);
        }
        return recording;
    }

    /// <summary>As the operator places one: <c>recorder legal-hold-set</c>.</summary>
    private async Task PlaceHoldAsync(TestRecording recording, string hold)
    {
        await using var services = harness.Build();
        await services.GetRequiredService<RetentionAdministration>().SetHoldAsync(
            hold == "user" ? new RetentionSubject(UserId: recording.UserId) : new RetentionSubject(RecordingId: recording.Id), hold: true, "litigation 7", default);
    }

    private async Task SetPolicyAsync(RetentionSubject subject, int days)
    {
        await using var services = harness.Build();
        await services.GetRequiredService<RetentionAdministration>().SetPolicyAsync(subject, days, default);
    }

    private async Task DeleteOverTheApiAsync(TestRecording recording)
    {
        await using var services = harness.Build();
        await services.GetRequiredService<RecordingsService>().DeleteAsync(
            new Caller(recording.UserId, RecordingScopes.All, Caller.SessionMethod), recording.Id, RequestInfo.None, default);
    }

    /// <summary>A path that can meet a hold from its start: the hold is placed, then the path runs.</summary>
    private static Func<LegalHoldTests, TestRecording, Func<Task>, Task> HoldFirst(Func<LegalHoldTests, TestRecording, Task> run)
        => async (tests, recording, placeHold) =>
        {
            await placeHold();
            await run(tests, recording);
        };

    private static Func<LegalHoldTests, TestRecording, Func<Task>, Task> RetentionUnder(Func<TestRecording, RetentionSubject> policyOf, int days)
        => HoldFirst(async (tests, recording) =>
        {
            await tests.SetPolicyAsync(policyOf(recording), days);
            await tests.harness.RunAsync(Settings);
        });

    /// <summary>The API's erasure request marks the recordings 'deleting' at once; the hold comes after it, before the erasure is carried on.</summary>
    private static Func<LegalHoldTests, TestRecording, Func<Task>, Task> RequestedErasureCarriedOn(Func<LegalHoldTests, Task> carryOn)
        => async (tests, recording, placeHold) =>
        {
            await tests.Erasures.RunAsync(service => service.RequestAsync(recording.UserId, default));
            await placeHold();
            await carryOn(tests);
        };

    private async Task<List<string>> PartsLeftAsync(TestRecording recording)
    {
        var left = new List<string>();
        if (await data.StatusAsync(recording.Id) is not null)
        {
            left.Add(RecordingParts.Row);
        }
        if (await data.BlobExistsAsync(recording.Upload))
        {
            left.Add(RecordingParts.Upload);
        }
        if (recording.Media is { } media && await data.BlobExistsAsync(media, storage.ProcessedContainer))
        {
            left.Add(RecordingParts.Media);
        }
        if (recording.Thumbnail is { } thumbnail && await data.BlobExistsAsync(thumbnail, storage.ThumbnailsContainer))
        {
            left.Add(RecordingParts.Thumbnail);
        }
        return left;
    }

    /// <param name="Arrange">makes the recording the path would remove</param>
    /// <param name="Act">runs the path, calling its third argument to place the hold</param>
    /// <param name="UploadOnly">the path removes the upload blob only (the row stays, failed or completed)</param>
    /// <param name="StatusWhenHeld">the status the path leaves a held recording in; null: the one it had</param>
    private sealed record RemovalPath(
        Func<LegalHoldTests, Task<TestRecording>> Arrange,
        Func<LegalHoldTests, TestRecording, Func<Task>, Task> Act,
        bool UploadOnly = false,
        string? StatusWhenHeld = null);

    private sealed record TestRecording(string UserId, long Id, string Status, int? ProjectId, string Upload, string? Media, string? Thumbnail)
    {
        /// <summary>What there is of it, in the order <see cref="PartsLeftAsync"/> lists what is left.</summary>
        public List<string> Parts =>
            [RecordingParts.Row, RecordingParts.Upload, .. Media is null ? Array.Empty<string>() : [RecordingParts.Media, RecordingParts.Thumbnail]];
    }

    private static class RecordingParts
    {
        public const string Row = "row";
        public const string Upload = "upload blob";
        public const string Media = "media blob";
        public const string Thumbnail = "thumbnail blob";
    }
}
