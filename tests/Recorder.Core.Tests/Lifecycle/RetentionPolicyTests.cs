using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Lifecycle;
using Recorder.Core.Storage;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Lifecycle;

/// <summary>
/// Retention with policies and holds: which rule wins, what the dry run reports (and that it writes
/// nothing), what the sweep then deletes, and that the candidate query stays on its indexes. That a hold
/// outranks every rule is <see cref="LegalHoldTests"/>' part.
/// </summary>
public sealed class RetentionPolicyTests : LifecycleTestBase
{
    private static readonly LifecycleOptions Settings = new() { RetentionDays = 30, AbandonedUploadAfter = TimeSpan.FromDays(3650) };

    [Fact]
    public async Task Project_policies_outrank_user_policies_which_outrank_the_default()
    {
        var shortUser = await data.NewUserAsync();     // policy: 10 days
        var plainUser = await data.NewUserAsync();     // the default: 30 days
        var longProject = await data.NewProjectAsync(shortUser);  // policy: 100 days
        var shortProject = await data.NewProjectAsync(plainUser); // policy: 5 days
        await using (var services = harness.Build(Settings))
        {
            var admin = services.GetRequiredService<RetentionAdministration>();
            await admin.SetPolicyAsync(new RetentionSubject(UserId: shortUser), 10, default);
            await admin.SetPolicyAsync(new RetentionSubject(ProjectId: longProject), 100, default);
            await admin.SetPolicyAsync(new RetentionSubject(ProjectId: shortProject), 7, default);
            await admin.SetPolicyAsync(new RetentionSubject(ProjectId: shortProject), 5, default); // replaces 7
        }

        var expected = new Dictionary<long, string>
        {
            [await data.InsertAsync(shortUser, "completed", TimeSpan.FromDays(20))] = RetentionRules.User,
            [await data.InsertAsync(shortUser, "completed", TimeSpan.FromDays(120), longProject)] = RetentionRules.Project,
            [await data.InsertAsync(plainUser, "completed", TimeSpan.FromDays(40))] = RetentionRules.Default,
            [await data.InsertAsync(plainUser, "completed", TimeSpan.FromDays(6), shortProject)] = RetentionRules.Project,
        };
        var kept = new[]
        {
            await data.InsertAsync(shortUser, "completed", TimeSpan.FromDays(5)),
            await data.InsertAsync(shortUser, "completed", TimeSpan.FromDays(50), longProject),
            await data.InsertAsync(plainUser, "completed", TimeSpan.FromDays(20)),
            await data.InsertAsync(plainUser, "completed", TimeSpan.FromDays(4), shortProject),
            await data.InsertAsync(plainUser, "failed", TimeSpan.FromDays(40)),
            await data.InsertAsync(plainUser, "uploading", TimeSpan.FromDays(40)),
        };
        foreach (var id in expected.Keys)
        {
            await data.UploadAsync(LifecycleData.UploadName(await OwnerAsync(id), id));
        }

        var auditBefore = await data.ScalarAsync<long>("SELECT count(*) FROM audit_log");
        RetentionDryRun dryRun;
        await using (var services = harness.Build(Settings))
        {
            dryRun = await services.GetRequiredService<RetentionAdministration>().DryRunAsync(limit: 3, default);
        }
        Assert.Equal(new Dictionary<string, int> { [RetentionRules.User] = 1, [RetentionRules.Project] = 2, [RetentionRules.Default] = 1 }, dryRun.ExpiredByRule);
        Assert.Equal(3, dryRun.Listed.Count);
        Assert.Equal(dryRun.Listed.OrderBy(row => row.CreatedAt).Select(row => row.Id), dryRun.Listed.Select(row => row.Id));
        Assert.All(dryRun.Listed, row => Assert.Equal(expected[row.Id], row.Rule));
        Assert.Equal(auditBefore, await data.ScalarAsync<long>("SELECT count(*) FROM audit_log"));
        Assert.Equal(0, await data.ScalarAsync<int>("SELECT count(*)::int FROM recordings WHERE status = 'deleting'"));

        var result = await harness.RunAsync(Settings);

        Assert.Equal((4, 4), (result.MarkedForRetention, result.Purged));
        foreach (var (id, rule) in expected)
        {
            Assert.Null(await data.StatusAsync(id));
            Assert.False(await data.BlobExistsAsync(LifecycleData.UploadName((await AuditOwnerAsync(id))!, id)));
            Assert.Equal(rule, await data.ScalarAsync<string>(
                "SELECT details ->> 'rule' FROM audit_log WHERE recording_id = @id AND action = 'recording.retention'", new { id }));
        }
        foreach (var id in kept)
        {
            Assert.NotNull(await data.StatusAsync(id));
        }
    }

    [Fact]
    public async Task Lifting_a_hold_or_clearing_a_policy_lets_retention_apply_again_and_every_change_is_audited()
    {
        var userId = await data.NewUserAsync();
        var held = await data.InsertAsync(userId, "completed", TimeSpan.FromDays(40));
        var byPolicy = await data.InsertAsync(userId, "completed", TimeSpan.FromDays(40));
        await using var services = harness.Build(Settings);
        var admin = services.GetRequiredService<RetentionAdministration>();
        Assert.Equal("completed", await admin.SetHoldAsync(new RetentionSubject(RecordingId: held), hold: true, "keep", default));
        await admin.SetPolicyAsync(new RetentionSubject(UserId: userId), 60, default);

        Assert.Equal(0, (await harness.RunAsync(Settings)).MarkedForRetention);

        Assert.True(await admin.ClearPolicyAsync(new RetentionSubject(UserId: userId), default));
        Assert.False(await admin.ClearPolicyAsync(new RetentionSubject(UserId: userId), default));
        Assert.Equal(1, (await harness.RunAsync(Settings)).MarkedForRetention);
        Assert.Null(await data.StatusAsync(byPolicy));
        Assert.Equal("completed", await data.StatusAsync(held));

        await admin.SetHoldAsync(new RetentionSubject(RecordingId: held), hold: false, null, default);
        Assert.Equal(1, (await harness.RunAsync(Settings)).MarkedForRetention);
        Assert.Null(await data.StatusAsync(held));

        await using var connection = await data.OpenMaintenanceAsync();
        var changes = (await connection.QueryAsync<(string ActorType, string ActorId, string UserId, string Action)>(
            "SELECT actor_type, actor_id, user_id, action FROM audit_log WHERE actor_id = 'recorder-cli' ORDER BY id")).AsList();
        Assert.Equal(
            [
                ("system", "recorder-cli", userId, "recording.legal_hold_set"),
                ("system", "recorder-cli", userId, "retention_policy.set"),
                ("system", "recorder-cli", userId, "retention_policy.clear"),
                ("system", "recorder-cli", userId, "retention_policy.clear"),
                ("system", "recorder-cli", userId, "recording.legal_hold_clear"),
            ],
            changes);
    }

    [Fact]
    public async Task Policies_and_holds_refuse_unknown_subjects_and_bad_values_without_writing()
    {
        await using var services = harness.Build(Settings);
        var admin = services.GetRequiredService<RetentionAdministration>();
        var userId = await data.NewUserAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => admin.SetPolicyAsync(new RetentionSubject(UserId: "nobody"), 10, default));
        await Assert.ThrowsAsync<InvalidOperationException>(() => admin.SetPolicyAsync(new RetentionSubject(ProjectId: 987654), 10, default));
        await Assert.ThrowsAsync<InvalidOperationException>(() => admin.SetHoldAsync(new RetentionSubject(RecordingId: 987654), true, null, default));
        await Assert.ThrowsAsync<ArgumentException>(() => admin.SetPolicyAsync(new RetentionSubject(UserId: userId), 0, default));
        await Assert.ThrowsAsync<ArgumentException>(() => admin.SetPolicyAsync(new RetentionSubject(UserId: userId, ProjectId: 1), 10, default));
        await Assert.ThrowsAsync<ArgumentException>(() => admin.SetHoldAsync(new RetentionSubject(ProjectId: 1), true, null, default));

        Assert.Equal(0, await data.ScalarAsync<int>("SELECT count(*)::int FROM retention_policies"));
        Assert.Equal(0, await data.ScalarAsync<int>("SELECT count(*)::int FROM audit_log WHERE actor_id = 'recorder-cli'"));
    }

    [Fact]
    public async Task Each_rule_of_the_candidate_query_is_served_by_an_index()
    {
        var users = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            users.Add(await data.NewUserAsync());
        }
        var project = await data.NewProjectAsync(users[0]);
        await data.ExecuteAsync(
            """
            INSERT INTO recordings (user_id, project_id, title, recording_type, file_size, mime_type, blob_name, status, created_at)
            SELECT (@users::varchar[])[1 + n % 20], CASE WHEN n % 50 = 0 THEN @project END, 'r', 'camera', 10, 'video/webm', 'bulk/' || n,
                   CASE WHEN n % 10 = 0 THEN 'failed' ELSE 'completed' END, now() - make_interval(days => n % 800)
            FROM generate_series(1, 6000) n
            """, new { users = users.ToArray(), project });
        await data.ExecuteAsync("INSERT INTO retention_policies (user_id, retention_days) VALUES (@user, 10)", new { user = users[1] });
        await data.ExecuteAsync("INSERT INTO retention_policies (project_id, retention_days) VALUES (@project, 100)", new { project });
        await using (var owner = await data.OpenOwnerAsync())
        {
            await owner.ExecuteAsync("ANALYZE recordings; ANALYZE retention_policies; ANALYZE user_legal_holds"); // the owner's to do
        }

        // As the sweep asks it, as recorder_maintenance (whose policies shape the plan) with generic parameters.
        await using var connection = await data.OpenMaintenanceAsync();
        await connection.ExecuteAsync("SET plan_cache_mode = force_generic_plan");
        var plan = string.Join('\n', await connection.QueryAsync<string>(
            "EXPLAIN " + RetentionCandidates.Sql.Replace("@DefaultDays", "30").Replace("@Limit", "100")));

        Assert.Contains("idx_recordings_retention", plan);
        Assert.Contains("idx_recordings_user_created", plan);
        Assert.Contains("idx_recordings_project_id", plan);
        Assert.DoesNotContain("Seq Scan on recordings", plan);
    }

    private Task<string> OwnerAsync(long id) => data.ScalarAsync<string>("SELECT user_id FROM recordings WHERE id = @id", new { id });

    private Task<string?> AuditOwnerAsync(long id) => data.ScalarAsync<string?>("SELECT user_id FROM audit_log WHERE recording_id = @id AND action = 'recording.retention'", new { id });
}
