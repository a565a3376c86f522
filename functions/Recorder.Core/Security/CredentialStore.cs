using Dapper;
using Recorder.Core.Data;

namespace Recorder.Core.Security;

/// <summary>
/// The main app's <c>sessions</c> and <c>users</c> rows, read as <c>recorder_app</c>, which may read no
/// more than this (migration 020): <c>users</c>' id and is_active, and of a session only what
/// <c>recorder_session_user</c> returns. <c>sess</c> holds the user's OAuth tokens: that function takes
/// the user id out of it in SQL, so the rest never reaches this process, its logs or its exceptions.
/// </summary>
internal sealed class CredentialStore(RecorderDataSources dataSources)
{
    // Both queries end in the same user check, so a deactivated user's cookies and tokens stop alike.
    private const string UserCheck = """
        u.id IS NOT NULL AS "UserFound", u.is_active AS "IsActive"
        """;

    private const string SessionSql = $"""
        SELECT p.expire AS "Expire", p.user_id AS "UserId", {UserCheck}
        FROM recorder_session_user(@Sid) p
        LEFT JOIN users u ON u.id = p.user_id
        """;

    private const string UserSql = $"""
        SELECT {UserCheck}
        FROM (SELECT @UserId AS user_id) p
        LEFT JOIN users u ON u.id = p.user_id
        """;

    public Task<SessionRow?> FindSessionAsync(string sid, CancellationToken cancellationToken)
        => StalePlans.RetryOnceAsync(dataSources.App, async () =>
        {
            await using var connection = await dataSources.App.OpenConnectionAsync(cancellationToken);
            return await connection.QuerySingleOrDefaultAsync<SessionRow>(
                new CommandDefinition(SessionSql, new { Sid = sid }, cancellationToken: cancellationToken));
        });

    public Task<UserRow> FindUserAsync(string userId, CancellationToken cancellationToken)
        => StalePlans.RetryOnceAsync(dataSources.App, async () =>
        {
            await using var connection = await dataSources.App.OpenConnectionAsync(cancellationToken);
            return await connection.QuerySingleAsync<UserRow>(
                new CommandDefinition(UserSql, new { UserId = userId }, cancellationToken: cancellationToken));
        });
}

/// <summary>A <c>sessions</c> row: <paramref name="Expire"/> is wall-clock time in the app's session time zone.</summary>
internal sealed record SessionRow(DateTime Expire, string? UserId, bool UserFound, bool? IsActive)
{
    public UserRow User => new(UserFound, IsActive);
}

internal sealed record UserRow(bool UserFound, bool? IsActive)
{
    /// <summary>
    /// Why this user may not act, or null. <c>users.is_active</c> is <c>BOOLEAN DEFAULT true</c> and
    /// nullable: NULL counts as active, as the default says; only an explicit false deactivates.
    /// </summary>
    public string? Rejection => !UserFound ? RejectionReasons.UnknownUser : IsActive == false ? RejectionReasons.InactiveUser : null;
}
