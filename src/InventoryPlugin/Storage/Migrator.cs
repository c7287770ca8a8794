using System.Reflection;
using Dapper;
using Microsoft.Data.Sqlite;

namespace InventoryPlugin.Storage;

/// <summary>Applies the versioned scripts under Storage/Migrations, each once, each in its own transaction.</summary>
public static class Migrator
{
    private const string Prefix = "migrations/";

    public static IReadOnlyList<(int Version, string Name)> Known { get; } = Discover();

    public static int LatestVersion => Known.Count == 0 ? 0 : Known[^1].Version;

    public static void Migrate(SqliteConnection connection)
    {
        connection.Execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    INTEGER NOT NULL PRIMARY KEY,
                name       TEXT    NOT NULL,
                applied_at INTEGER NOT NULL
            )
            """);
        var applied = connection.Query<long>("SELECT version FROM schema_migrations").ToHashSet();
        foreach (var (version, name) in Known.Where(m => !applied.Contains(m.Version)))
        {
            using var transaction = connection.BeginTransaction();
            connection.Execute(ReadScript(name), transaction: transaction);
            connection.Execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @appliedAt)",
                new { version, name, appliedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
                transaction);
            transaction.Commit();
        }
    }

    public static long AppliedVersion(SqliteConnection connection) =>
        connection.ExecuteScalar<long?>("SELECT MAX(version) FROM schema_migrations") ?? 0;

    private static List<(int Version, string Name)> Discover() =>
        typeof(Migrator).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal))
            .Select(n => n[Prefix.Length..])
            .Select(n => (Version: int.Parse(n.AsSpan(0, n.IndexOf('_', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture), Name: n))
            .OrderBy(m => m.Version)
            .ToList();

    private static string ReadScript(string name)
    {
        using var stream = typeof(Migrator).Assembly.GetManifestResourceStream(Prefix + name)
            ?? throw new InvalidOperationException($"Migration {name} is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
