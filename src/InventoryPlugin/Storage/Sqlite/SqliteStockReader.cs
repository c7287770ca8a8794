using InventoryPlugin.Stock;

namespace InventoryPlugin.Storage.Sqlite;

/// <summary>Reads on pooled connections of their own: WAL lets them run beside the writer.</summary>
public sealed class SqliteStockReader(SqliteConnectionFactory connections, TimeProvider clock) : IStockReader
{
    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    public Task<StockRecord?> GetAsync(string instanceId, string id, CancellationToken cancellationToken)
    {
        using var connection = connections.OpenRead();
        return Task.FromResult(StockRecordQueries.Get(connection, null, instanceId, id, Now));
    }

    public Task<IReadOnlyList<StockRecord?>> FindByKeysAsync(IReadOnlyList<StockKey> keys, CancellationToken cancellationToken)
    {
        using var connection = connections.OpenRead();
        return Task.FromResult<IReadOnlyList<StockRecord?>>(keys.Select(key => StockRecordQueries.FindRecordByKey(connection, null, key, Now)).ToList());
    }

    public Task<IReadOnlyList<StockRecord>> PageAsync(string instanceId, StockRecordFilter filter, string? afterId, int limit, CancellationToken cancellationToken)
    {
        using var connection = connections.OpenRead();
        return Task.FromResult<IReadOnlyList<StockRecord>>(StockRecordQueries.Page(connection, instanceId, filter, afterId, limit, Now));
    }

    public Task<TenantSettings> LoadSettingsAsync(string instanceId, CancellationToken cancellationToken)
    {
        using var connection = connections.OpenRead();
        return Task.FromResult(StockRecordQueries.LoadSettings(connection, null, instanceId));
    }

    public Task<IReadOnlyList<LedgerEntry>> LedgerPageAsync(string instanceId, LedgerFilter filter, long afterSeq, int limit, CancellationToken cancellationToken)
    {
        using var connection = connections.OpenRead();
        return Task.FromResult<IReadOnlyList<LedgerEntry>>(SqliteLedgerQueries.Page(connection, instanceId, filter, afterSeq, limit));
    }

    public Task<Allocation?> GetAllocationAsync(string instanceId, string id, CancellationToken cancellationToken)
    {
        using var connection = connections.OpenRead();
        return Task.FromResult(AllocationRows.Load(connection, null, instanceId, id));
    }

    public Task<LedgerVerificationReport> VerifyLedgerAsync(string? instanceId, CancellationToken cancellationToken)
    {
        using var connection = connections.OpenRead();
        return Task.FromResult(SqliteLedgerVerification.Verify(connection, instanceId));
    }
}

/// <summary>Ready once the writer has opened and migrated the file.</summary>
public sealed class SqliteStoreStatus(StoreWriter writer, SqliteConnectionFactory connections) : IStoreStatus
{
    public Task<StoreReadiness> CheckAsync(CancellationToken cancellationToken)
    {
        if (!writer.IsReady)
        {
            return Task.FromResult(new StoreReadiness(false, "starting", 0));
        }

        using var connection = connections.OpenRead();
        var version = SqliteMigrator.AppliedVersion(connection);
        return Task.FromResult(version == SqliteMigrator.Scripts.LatestVersion
            ? new StoreReadiness(true, "ready", version)
            : new StoreReadiness(false, "not migrated", version));
    }
}
