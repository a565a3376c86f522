using Dapper;
using Npgsql;
using Recorder.Core.Security;

namespace Recorder.Testing;

/// <summary>Users signed in the way the main app signs them in: a users row, a sessions row and the signed connect.sid cookie naming it.</summary>
public static class TestSessions
{
    /// <summary>Creates the users with a session each (a day long); returns each one's Cookie header value, in order.</summary>
    public static async Task<IReadOnlyList<string>> SignInAsync(string ownerConnectionString, string sessionSecret, IReadOnlyList<string> userIds)
    {
        await using (var connection = new NpgsqlConnection(ownerConnectionString))
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO users (id, email, password, first_name, last_name)
                SELECT id, id || '@example.test', 'x', 'Test', 'User' FROM unnest(@ids) AS id
                """,
                new { ids = userIds.ToArray() });
        }
        return await SignInExistingAsync(ownerConnectionString, sessionSecret, userIds);
    }

    /// <summary>A session each (a day long) for users that exist already; each one's Cookie header value, in order.</summary>
    public static async Task<IReadOnlyList<string>> SignInExistingAsync(
        string ownerConnectionString, string sessionSecret, IReadOnlyList<string> userIds)
    {
        var sids = userIds.Select(_ => Guid.NewGuid().ToString("N")).ToArray();
        await using var connection = new NpgsqlConnection(ownerConnectionString);
        await connection.ExecuteAsync(
            """
            INSERT INTO sessions (sid, sess, expire)
            SELECT sid,
                   jsonb_build_object('passport', jsonb_build_object('user', jsonb_build_object('claims', jsonb_build_object('sub', id)))),
                   (now() AT TIME ZONE 'UTC') + interval '1 day'
            FROM unnest(@ids, @sids) AS s(id, sid);
            """,
            new { ids = userIds.ToArray(), sids });
        return [.. sids.Select(sid => "connect.sid=" + Uri.EscapeDataString("s:" + SessionCookieSigner.Sign(sid, sessionSecret)))];
    }
}
