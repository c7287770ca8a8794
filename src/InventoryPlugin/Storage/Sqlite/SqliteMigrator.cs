using Dapper;
using Microsoft.Data.Sqlite;

namespace InventoryPlugin.Storage.Sqlite;

/// <summary>Applies the versioned scripts under Storage/Sqlite/Migrations, each once, each in its own transaction.</summary>
public static class SqliteMigrator
{
    public static MigrationScripts Scripts { get; } = new("sqlite");

    public static void Migrate(SqliteConnection connection)
    {
        connection.Execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    INTEGER NOT NULL PRIMARY KEY,
                name       TEXT    NOT NULL,
                applied_at INTEGER NOT NULL
            )
            """);
        var applied = connection.Query<long>("SELECT version FROM schema_migrations").ToList();
        foreach (var (version, name, sql) in Scripts.Pending(applied))
        {
            using var transaction = connection.BeginTransaction();
            connection.Execute(sql, transaction: transaction);
            connection.Execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @appliedAt)",
                new { version, name, appliedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
                transaction);
            transaction.Commit();
        }
    }

    public static long AppliedVersion(SqliteConnection connection) =>
        connection.ExecuteScalar<long?>("SELECT MAX(version) FROM schema_migrations") ?? 0;
}
