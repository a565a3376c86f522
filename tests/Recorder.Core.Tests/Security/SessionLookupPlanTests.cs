using Recorder.Core.Tests.Fixtures;
using Xunit;

namespace Recorder.Core.Tests.Security;

/// <summary>
/// Every request signed in with a session cookie looks its session up (CredentialStore): recorder_session_user joined to
/// users. Planned as returning 1 000 rows, the join was a hash join over the whole users table (43 ms a request with
/// 100 000 users: bench/notes/mixed-load.md); it returns at most one row, and the join must find its user by key.
/// </summary>
public sealed class SessionLookupPlanTests(RealisticDatabase data) : IClassFixture<RealisticDatabase>
{
    // CredentialStore's lookup, as recorder_app runs it.
    private const string SessionLookupSql = """
        SELECT p.expire, p.user_id, u.id IS NOT NULL AS user_found, u.is_active
        FROM recorder_session_user(@Sid) p
        LEFT JOIN users u ON u.id = p.user_id
        """;

    [Fact]
    public async Task The_session_lookup_reads_its_user_by_primary_key_not_by_scanning_users()
    {
        var plan = await data.ExplainAsync(data.Database.AppConnectionString, SessionLookupSql, new { Sid = "any-session" });

        var users = Assert.Single(plan.Nodes, node => node.RelationName == "users");
        Assert.True(users is { NodeType: "Index Scan" or "Index Only Scan", IndexName: "users_pkey" }, plan.ToString());
    }
}
