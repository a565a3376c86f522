using System.Collections.Concurrent;
using System.Text.Json;
using Dapper;
using Npgsql;
using Recorder.Core.Tests.Fixtures;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Notifications;

/// <summary>
/// The recording-events channel (migration 032) as the main app would use it: a connection of its own that LISTENs sees
/// every status change that committed, whichever role made it, in commit order, and nothing of a transaction that rolled
/// back; the outbox holds the same events; neither carries anything private.
/// </summary>
public sealed class RecordingEventsChannelTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>
{
    private const string Channel = "recorder_recording_events";

    private readonly EventsTestData data = new(database);

    [Fact]
    public async Task A_listener_sees_exactly_the_status_changes_that_committed_and_none_of_a_rollback()
    {
        await using var listener = await Listener.StartAsync(database.OwnerConnectionString);
        var user = await data.NewUserAsync();

        var completed = await data.NewRecordingAsync(user);
        await data.MaintenanceAsync("UPDATE recordings SET status = 'processing' WHERE id = @completed", new { completed });
        // Not a status change: no event.
        await data.AsUserAsync(
            user, "UPDATE recordings SET title = 'Renamed', metadata = '{\"a\": 1}' WHERE id = @completed", new { completed });
        await data.MaintenanceAsync(
            "UPDATE recordings SET status = 'completed', duration = 3, completed_at = now() WHERE id = @completed", new { completed });
        var failed = await data.NewRecordingAsync(user);
        await using (var maintenance = await database.OpenMaintenanceAsync())
        {
            await using var rolledBack = await maintenance.BeginTransactionAsync();
            await maintenance.ExecuteAsync(
                "UPDATE recordings SET status = 'failed', failure_code = 'corrupt_media' WHERE id = @failed", new { failed }, rolledBack);
            await rolledBack.RollbackAsync();
        }
        await data.MaintenanceAsync(
            "UPDATE recordings SET status = 'failed', failure_code = 'empty_file', failure_reason = 'The file is empty.' " +
            "WHERE id = @failed",
            new { failed });
        var recovered = await data.NewRecordingAsync(user, live: true);
        await data.MaintenanceAsync("UPDATE recordings SET live_contact_at = now() WHERE id = @recovered", new { recovered });
        await data.MaintenanceAsync("UPDATE recordings SET recovered_at = now() WHERE id = @recovered", new { recovered });
        // The user deletes (marks 'deleting'); the row's removal afterwards is the same deletion.
        await data.AsUserAsync(user, "UPDATE recordings SET status = 'deleting' WHERE id = @completed", new { completed });
        await data.MaintenanceAsync("DELETE FROM recordings WHERE id = @completed", new { completed });
        // A row removed without the mark (the user's account deleted: ON DELETE CASCADE) is announced by its removal.
        await data.MaintenanceAsync("DELETE FROM recordings WHERE id = @failed", new { failed });
        var sentinel = await data.NewRecordingAsync(user);

        var received = (await listener.UntilAsync(sentinel)).Where(e => e.Event.UserId == user).ToList();

        Assert.Equal(
            [
                (completed, "uploading", null, false), (completed, "processing", null, false), (completed, "completed", null, false),
                (failed, "uploading", null, false), (failed, "failed", "empty_file", false),
                (recovered, "uploading", null, false), (recovered, "uploading", null, true),
                (completed, "deleted", null, false), (failed, "deleted", "empty_file", false),
                (sentinel, "uploading", (string?)null, false),
            ],
            received.Select(e => (e.Event.Id, e.Event.Status, e.Event.FailureCode, e.Event.Recovered)));
        Assert.Equal(received.Count, received.Select(e => e.Event.EventId).Distinct().Count());
        // Sequences rise in commit order, and occurredAt with them.
        Assert.Equal(received.Select(e => e.Event.Sequence).Order(), received.Select(e => e.Event.Sequence));
        Assert.Equal(received.Select(e => e.Event.OccurredAt).Order(), received.Select(e => e.Event.OccurredAt));

        // Nothing private: ids, status, codes and times; no title, file name, reason or metadata.
        Assert.All(received, e =>
        {
            Assert.Equal(RecordingEvent.Members, JsonDocument.Parse(e.Payload).RootElement.EnumerateObject().Select(p => p.Name).Order());
            Assert.DoesNotContain("Private title", e.Payload, StringComparison.Ordinal);
            Assert.DoesNotContain("secret-name", e.Payload, StringComparison.Ordinal);
            Assert.DoesNotContain("empty.", e.Payload, StringComparison.Ordinal);
        });
        // The outbox holds the same events, byte for byte, and nothing of the rollback.
        Assert.Equal(
            received.Select(e => e.Payload),
            (await data.OutboxAsync()).Select(row => row.Payload).Where(payload => RecordingEvent.Parse(payload).UserId == user));
    }

    [Fact]
    public async Task Every_statement_of_a_transaction_is_announced_at_its_commit_and_not_before()
    {
        await using var listener = await Listener.StartAsync(database.OwnerConnectionString);
        var user = await data.NewUserAsync();
        var id = await data.NewRecordingAsync(user);
        await listener.UntilAsync(id);

        await using var maintenance = await database.OpenMaintenanceAsync();
        await using var transaction = await maintenance.BeginTransactionAsync();
        await maintenance.ExecuteAsync("UPDATE recordings SET status = 'processing' WHERE id = @id", new { id }, transaction);
        await maintenance.ExecuteAsync("UPDATE recordings SET status = 'completed' WHERE id = @id", new { id }, transaction);
        var other = await data.NewRecordingAsync(user);
        var beforeCommit = await listener.UntilAsync(other);
        Assert.DoesNotContain(beforeCommit, e => e.Event.Id == id && e.Event.Status != "uploading");

        await transaction.CommitAsync();
        var sentinel = await data.NewRecordingAsync(user);
        var afterCommit = await listener.UntilAsync(sentinel);

        Assert.Equal(["processing", "completed"], afterCommit.Where(e => e.Event.Id == id).Skip(1).Select(e => e.Event.Status));
    }

    [Fact]
    public async Task A_statement_changing_many_recordings_announces_each_change_once_in_id_order()
    {
        await using var listener = await Listener.StartAsync(database.OwnerConnectionString);
        var user = await data.NewUserAsync();
        var (first, second, third) = (await data.NewRecordingAsync(user), await data.NewRecordingAsync(user),
            await data.NewRecordingAsync(user));
        long[] all = [first, second, third];

        // One statement: two status changes and a row whose status stays (a rename only).
        Assert.Equal(3, await data.MaintenanceAsync(
            "UPDATE recordings SET status = CASE WHEN id = @third THEN status ELSE 'processing' END, title = 'Batch' " +
            "WHERE id = ANY(@all) AND status = 'uploading'", new { third, all }));
        Assert.Equal(1, await data.MaintenanceAsync(
            "UPDATE recordings SET status = 'deleting' WHERE id = @first AND status = 'processing'", new { first }));
        // One removal of all three: the marked one was announced by its mark, the other two by this.
        Assert.Equal(3, await data.MaintenanceAsync("DELETE FROM recordings WHERE id = ANY(@all)", new { all }));
        var sentinel = await data.NewRecordingAsync(user);

        var received = (await listener.UntilAsync(sentinel)).Where(e => e.Event.UserId == user).ToList();

        Assert.Equal(
            [
                (first, "uploading"), (second, "uploading"), (third, "uploading"),
                (first, "processing"), (second, "processing"),
                (first, "deleted"),
                (second, "deleted"), (third, "deleted"),
                (sentinel, "uploading"),
            ],
            received.Select(e => (e.Event.Id, e.Event.Status)));
        Assert.Equal(received.Select(e => e.Event.Sequence).Order(), received.Select(e => e.Event.Sequence));
        Assert.Equal(received.Count, received.Select(e => e.Event.EventId).Distinct().Count());
        Assert.Equal(
            received.Select(e => e.Payload),
            (await data.OutboxAsync()).Select(row => row.Payload).Where(payload => RecordingEvent.Parse(payload).UserId == user));
    }

    [Fact]
    public async Task With_the_channel_turned_off_the_outbox_still_gets_each_event_and_the_channel_none()
    {
        await using var listener = await Listener.StartAsync(database.OwnerConnectionString);
        var user = await data.NewUserAsync();
        long silent;
        await using (var owner = await database.OpenOwnerAsync())
        {
            // As an operator would (docs/notifications.md), from the next commit on.
            await owner.ExecuteAsync("UPDATE recording_events_settings SET channel = false");
            try
            {
                silent = await data.NewRecordingAsync(user);
                Assert.Equal(1, await data.MaintenanceAsync(
                    "UPDATE recordings SET status = 'processing' WHERE id = @silent AND status = 'uploading'", new { silent }));
            }
            finally
            {
                await owner.ExecuteAsync("UPDATE recording_events_settings SET channel = true");
            }
        }

        var sentinel = await data.NewRecordingAsync(user);

        Assert.DoesNotContain(await listener.UntilAsync(sentinel), e => e.Event.Id == silent);
        Assert.Equal(["uploading", "processing"],
            (await data.OutboxAsync()).Select(row => RecordingEvent.Parse(row.Payload)).Where(e => e.Id == silent).Select(e => e.Status));
    }

    [Fact]
    public async Task A_user_id_too_long_for_a_notification_is_left_out_of_it_and_the_change_still_commits()
    {
        // PostgreSQL refuses a notification of 8000 bytes or more, which would fail the status change itself.
        await using var listener = await Listener.StartAsync(database.OwnerConnectionString);
        var user = "long-" + new string('x', 9000);
        await using (var owner = await database.OpenOwnerAsync())
        {
            await owner.ExecuteAsync(
                "INSERT INTO users (id, email, password, first_name, last_name) VALUES (@user, 'long@example.test', 'x', 'L', 'Ong')",
                new { user });
        }

        var id = await data.NewRecordingAsync(user);

        var heard = (await listener.UntilAsync(id)).Single(e => e.Event.Id == id);
        Assert.Null(heard.Event.UserId);
        Assert.Equal("uploading", heard.Event.Status);
        var kept = RecordingEvent.Parse((await data.OutboxAsync()).Single(row => RecordingEvent.Parse(row.Payload).Id == id).Payload);
        Assert.Equal((heard.Event.EventId, user), (kept.EventId, kept.UserId));
    }

    [Fact]
    public async Task The_app_roles_hold_nothing_on_the_outbox_and_the_trigger_runs_as_its_owner_with_a_fixed_search_path()
    {
        await using var app = new NpgsqlConnection(database.AppConnectionString);
        var read = await Assert.ThrowsAsync<PostgresException>(() => app.ExecuteAsync("SELECT count(*) FROM recording_events"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, read.SqlState);
        await using var maintenance = await database.OpenMaintenanceAsync();
        var forge = await Assert.ThrowsAsync<PostgresException>(() => maintenance.ExecuteAsync(
            "INSERT INTO recording_events (recording_id, user_id, payload) VALUES (1, 'x', '{}')"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, forge.SqlState);

        await using var owner = await database.OpenOwnerAsync();
        var function = await owner.QuerySingleAsync<(bool SecurityDefiner, string[] Settings, string Owner)>(
            """
            SELECT p.prosecdef, p.proconfig, r.rolname::text FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner
            WHERE p.oid = 'recorder_announce_recording_event()'::regprocedure
            """);
        Assert.Equal((true, TestDatabases.OwnerRole), (function.SecurityDefiner, function.Owner));
        Assert.Equal(["search_path=public, pg_temp"], function.Settings);
        Assert.Empty(await owner.QueryAsync<string>(
            """
            SELECT r.rolname FROM pg_roles r
            WHERE r.rolname IN (@AppRole, @MaintenanceRole)
              AND (has_function_privilege(r.oid, 'recorder_announce_recording_event()', 'EXECUTE')
                   OR has_table_privilege(r.oid, 'recording_events', 'INSERT')
                   OR has_table_privilege(r.oid, 'recording_events_settings', 'SELECT, UPDATE'))
            """, new { TestDatabases.AppRole, TestDatabases.MaintenanceRole }));
    }

    /// <summary>A connection of its own that LISTENs on the channel and keeps what arrives, in order.</summary>
    private sealed class Listener : IAsyncDisposable
    {
        private readonly NpgsqlConnection connection;
        private readonly CancellationTokenSource stop = new();
        private readonly ConcurrentQueue<string> payloads = new();
        private Task loop = Task.CompletedTask;

        private Listener(NpgsqlConnection connection) => this.connection = connection;

        public static async Task<Listener> StartAsync(string connectionString)
        {
            var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            var listener = new Listener(connection);
            connection.Notification += (_, notification) =>
            {
                Assert.Equal(Channel, notification.Channel);
                listener.payloads.Enqueue(notification.Payload);
            };
            await connection.ExecuteAsync($"LISTEN {Channel}");
            listener.loop = Task.Run(async () =>
            {
                while (!listener.stop.IsCancellationRequested)
                {
                    await connection.WaitAsync(listener.stop.Token);
                }
            });
            return listener;
        }

        /// <summary>Everything received up to the creation of <paramref name="recordingId"/> (committed after all before it).</summary>
        public async Task<List<(RecordingEvent Event, string Payload)>> UntilAsync(long recordingId)
        {
            await Eventually.TrueAsync(
                () => payloads.Select(RecordingEvent.Parse).Any(e => e.Id == recordingId),
                $"the listener heard of recording {recordingId}");
            return payloads.Select(payload => (RecordingEvent.Parse(payload), payload)).ToList();
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            try
            {
                await loop;
            }
            catch (OperationCanceledException)
            {
            }
            await connection.DisposeAsync();
            stop.Dispose();
        }
    }
}
