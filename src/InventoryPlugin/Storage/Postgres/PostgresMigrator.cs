using Dapper;
using InventoryPlugin.Hosting;
using Npgsql;

namespace InventoryPlugin.Storage.Postgres;

/// <summary>
/// Applies the versioned scripts under Storage/Postgres/Migrations before the service listens, each once,
/// each in its own transaction, under an advisory lock: replicas starting together migrate once, the
/// others wait and then find nothing to do.
/// </summary>
public sealed partial class PostgresMigrator(PostgresDatabase database, ILogger<PostgresMigrator> logger) : IStorePreparation
{
    /// <summary>The advisory lock key of migrations (any constant the application owns).</summary>
    private const long MigrationLock = 0x496e76_4d696772; // "InvMigr"

    public static MigrationScripts Scripts { get; } = new("postgres");

    public bool IsMigrated { get; private set; }

    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await database.SessionDataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await MigrateAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (PostgresDatabase.IsUnavailable(exception))
        {
            throw new ConfigurationException($"The PostgreSQL database at {database.Description} cannot be reached: {exception.Message}", exception);
        }

        IsMigrated = true;
        LogStarted(database.Description, Scripts.LatestVersion);
    }

    public static async Task MigrateAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync("SELECT pg_advisory_lock(@MigrationLock)", new { MigrationLock }).ConfigureAwait(false);
        try
        {
            await connection.ExecuteAsync("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer NOT NULL PRIMARY KEY,
                    name       text    NOT NULL,
                    applied_at bigint  NOT NULL
                )
                """).ConfigureAwait(false);
            var applied = (await connection.QueryAsync<long>("SELECT version FROM schema_migrations").ConfigureAwait(false)).ToList();
            foreach (var (version, name, sql) in Scripts.Pending(applied))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await connection.ExecuteAsync(sql, transaction: transaction).ConfigureAwait(false);
                await connection.ExecuteAsync(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @appliedAt)",
                    new { version, name, appliedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
                    transaction).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await connection.ExecuteAsync("SELECT pg_advisory_unlock(@MigrationLock)", new { MigrationLock }).ConfigureAwait(false);
        }
    }

    public static async Task<long> AppliedVersionAsync(NpgsqlConnection connection) =>
        await connection.ExecuteScalarAsync<long?>(
            "SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0 ELSE (SELECT MAX(version) FROM schema_migrations) END").ConfigureAwait(false) ?? 0;

    [LoggerMessage(Level = LogLevel.Information, Message = "Store is PostgreSQL at {Database}, schema version {SchemaVersion}")]
    private partial void LogStarted(string database, int schemaVersion);
}

/// <summary>Ready while the database answers and carries this binary's schema; recovers by itself when it comes back.</summary>
public sealed class PostgresStoreStatus(PostgresDatabase database, PostgresMigrator migrator) : IStoreStatus
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public async Task<StoreReadiness> CheckAsync(CancellationToken cancellationToken)
    {
        if (!migrator.IsMigrated)
        {
            return new StoreReadiness(false, "starting", 0);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            var version = await database.RunAsync(PostgresMigrator.AppliedVersionAsync, timeout.Token).ConfigureAwait(false);
            return version == PostgresMigrator.Scripts.LatestVersion
                ? new StoreReadiness(true, "ready", version)
                : new StoreReadiness(false, "not migrated", version);
        }
        catch (Exception exception) when (exception is StoreUnavailableException or OperationCanceledException)
        {
            return new StoreReadiness(false, "database unreachable", 0);
        }
    }
}
