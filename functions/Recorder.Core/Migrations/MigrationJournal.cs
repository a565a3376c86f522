using Dapper;
using Recorder.Core.Data;

namespace Recorder.Core.Migrations;

public sealed record AppliedMigration(string Name, string Checksum, DateTime AppliedAt, int DurationMs);

/// <summary>The <c>schema_migrations</c> table: which files were applied, when, and their checksums.</summary>
public sealed class MigrationJournal(RecorderDataSources dataSources)
{
    internal const string CreateTableSql = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
          name        TEXT PRIMARY KEY,
          checksum    TEXT NOT NULL,
          applied_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
          duration_ms INTEGER NOT NULL
        )
        """;

    internal const string ListSql = """
        SELECT name, checksum, applied_at AS AppliedAt, duration_ms AS DurationMs
        FROM schema_migrations
        ORDER BY name
        """;

    internal const string InsertSql = """
        INSERT INTO schema_migrations (name, checksum, duration_ms) VALUES (@Name, @Checksum, @DurationMs)
        """;

    /// <summary>Applied migrations as the app's role sees them (for <c>GET /api/ops/schema</c>).</summary>
    public Task<IReadOnlyList<AppliedMigration>> ListAppliedAsync(CancellationToken cancellationToken)
        => StalePlans.RetryOnceAsync<IReadOnlyList<AppliedMigration>>(dataSources.App, async () =>
        {
            await using var connection = await dataSources.App.OpenConnectionAsync(cancellationToken);
            var rows = await connection.QueryAsync<AppliedMigration>(new CommandDefinition(ListSql, cancellationToken: cancellationToken));
            return rows.AsList();
        });
}
