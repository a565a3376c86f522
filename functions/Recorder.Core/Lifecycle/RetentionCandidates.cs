namespace Recorder.Core.Lifecycle;

/// <summary>Which rule set a recording's retention (docs/operations.md, "Retention policies and legal holds").</summary>
public static class RetentionRules
{
    public const string Project = "project";
    public const string User = "user";
    public const string Default = "default";
}

/// <summary>A completed recording past its retention, and the rule that says so.</summary>
public sealed record RetentionCandidate(long Id, string UserId, int? ProjectId, DateTime CreatedAt, string Rule, int RetentionDays);

/// <summary>
/// The one query that decides what retention deletes, shared by the sweep and the dry run: hold, then project policy, then
/// user policy, then the default, each its own index-served scan, oldest first (docs/operations.md, "Retention policies
/// and legal holds"). <c>@Limit</c> null lists them all.
/// </summary>
public static class RetentionCandidates
{
    public const string Sql = """
        WITH project_policies AS (
          SELECT project_id, retention_days FROM retention_policies WHERE project_id IS NOT NULL
        ), user_policies AS (
          SELECT user_id, retention_days FROM retention_policies WHERE user_id IS NOT NULL
        )
        SELECT id AS Id, user_id AS UserId, project_id AS ProjectId, created_at AS CreatedAt, rule AS Rule, retention_days AS RetentionDays
        FROM (
          (SELECT r.id, r.user_id, r.project_id, r.created_at, 'project' AS rule, p.retention_days
           FROM project_policies p
           JOIN recordings r ON r.project_id = p.project_id
           WHERE r.status = 'completed' AND NOT recorder_recording_held(r)
             AND r.created_at < now() - make_interval(days => p.retention_days)
           ORDER BY r.created_at, r.id
           LIMIT @Limit)
          UNION ALL
          (SELECT r.id, r.user_id, r.project_id, r.created_at, 'user', p.retention_days
           FROM user_policies p
           JOIN recordings r ON r.user_id = p.user_id
           WHERE r.status = 'completed' AND NOT recorder_recording_held(r)
             AND r.created_at < now() - make_interval(days => p.retention_days)
             AND NOT EXISTS (SELECT 1 FROM project_policies pp WHERE pp.project_id = r.project_id)
           ORDER BY r.created_at, r.id
           LIMIT @Limit)
          UNION ALL
          (SELECT r.id, r.user_id, r.project_id, r.created_at, 'default', @DefaultDays
           FROM recordings r
           WHERE r.status = 'completed' AND NOT recorder_recording_held(r)
             AND r.created_at < now() - make_interval(days => @DefaultDays)
             AND NOT EXISTS (SELECT 1 FROM user_policies pu WHERE pu.user_id = r.user_id)
             AND NOT EXISTS (SELECT 1 FROM project_policies pp WHERE pp.project_id = r.project_id)
           ORDER BY r.created_at, r.id
           LIMIT @Limit)
        ) expired
        ORDER BY created_at, id
        LIMIT @Limit
        """;
}
