using InventoryPlugin.Stock;

namespace InventoryPlugin.Storage;

/// <summary>The answer stored for a request's outcome, replayed as-is to its retries.</summary>
public readonly record struct StoredResponse(int StatusCode, string Body);

/// <summary>
/// Every change to stock, whatever the store. Each call is one transaction: the records it changes,
/// their ledger entries and (for platform requests) the stored answer are committed together or not
/// at all, and a call completes only once its commit is durable. A store that cannot be reached
/// throws <see cref="StoreUnavailableException"/> and has changed nothing.
/// </summary>
public interface IStockStore
{
    /// <summary>Applies a Decrement or Increment Availability request, or replays its earlier answer.</summary>
    /// <param name="render">Turns an outcome into the wire answer that is stored for replays.</param>
    Task<ChangeOutcome> ApplyAsync(StockChange change, Func<ChangeOutcome, StoredResponse> render, CancellationToken cancellationToken);

    Task<RecordOutcome> CreateAsync(NewStockRecord record, Actor actor, CancellationToken cancellationToken);

    Task<RecordOutcome> ChangeAsync(string instanceId, string id, long expectedRevision, StockSettingsChange change, Actor actor, CancellationToken cancellationToken);

    Task<bool> DeleteAsync(string instanceId, string id, CancellationToken cancellationToken);

    /// <summary>Adds <paramref name="delta"/>; with <paramref name="restrict"/>, a decrease may not pass the record's floor.</summary>
    Task<RecordOutcome> AdjustAsync(string instanceId, string id, long delta, string? reason, bool restrict, Actor actor, CancellationToken cancellationToken);

    /// <summary>Creates or updates every row by its key in one transaction; each row's outcome in order.</summary>
    Task<IReadOnlyList<RecordOutcome>> UpsertAsync(IReadOnlyList<NewStockRecord> rows, Actor actor, CancellationToken cancellationToken);

    Task SaveSettingsAsync(string instanceId, TenantSettings settings, CancellationToken cancellationToken);

    /// <summary>Deletes stored answers older than <paramref name="cutoffMs"/> (unix ms); the count deleted.</summary>
    Task<int> PruneIdempotencyAsync(long cutoffMs, CancellationToken cancellationToken);

    /// <summary>Holds every line of the request, or none (lines are summed per record first).</summary>
    Task<AllocationOutcome> AllocateAsync(AllocationRequest request, CancellationToken cancellationToken);

    /// <summary>Turns an open allocation into a decrement of what it holds; a second call replays the first.</summary>
    Task<AllocationOutcome> CommitAllocationAsync(string instanceId, string id, Actor actor, CancellationToken cancellationToken);

    /// <summary>Lets an open allocation go (an expired one is expired now); a second call replays the first.</summary>
    Task<AllocationOutcome> ReleaseAllocationAsync(string instanceId, string id, Actor actor, CancellationToken cancellationToken);

    /// <summary>Expires up to <paramref name="max"/> open allocations past their expiry, with their ledger entries; the count.</summary>
    Task<int> ExpireAllocationsAsync(int max, CancellationToken cancellationToken);
}

/// <summary>Reads, always within one tenant (except the whole-store ledger verification).</summary>
public interface IStockReader
{
    /// <summary>A record by id, only within its tenant: an id from another tenant is simply not found.</summary>
    Task<StockRecord?> GetAsync(string instanceId, string id, CancellationToken cancellationToken);

    /// <summary>The record of each key (null where there is none), in the order given.</summary>
    Task<IReadOnlyList<StockRecord?>> FindByKeysAsync(IReadOnlyList<StockKey> keys, CancellationToken cancellationToken);

    /// <summary>
    /// One page of a tenant's records in id order, after <paramref name="afterId"/>. Keyset paging:
    /// records added while a client pages never make it see a record twice or miss one that existed.
    /// </summary>
    Task<IReadOnlyList<StockRecord>> PageAsync(string instanceId, StockRecordFilter filter, string? afterId, int limit, CancellationToken cancellationToken);

    Task<TenantSettings> LoadSettingsAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>A tenant's ledger entries after <paramref name="afterSeq"/> in seq order.</summary>
    Task<IReadOnlyList<LedgerEntry>> LedgerPageAsync(string instanceId, LedgerFilter filter, long afterSeq, int limit, CancellationToken cancellationToken);

    /// <summary>Recomputes quantities from the ledger, for one tenant or (null) all, from one snapshot.</summary>
    Task<LedgerVerificationReport> VerifyLedgerAsync(string? instanceId, CancellationToken cancellationToken);

    /// <summary>An allocation by id, only within its tenant.</summary>
    Task<Allocation?> GetAllocationAsync(string instanceId, string id, CancellationToken cancellationToken);
}

/// <summary>
/// Work a store needs done before the service listens (reaching the database, migrating it). It runs
/// before the host starts, so a failure stops the start as one line, like any configuration mistake.
/// </summary>
public interface IStorePreparation
{
    Task PrepareAsync(CancellationToken cancellationToken);
}

/// <summary>Whether the store can serve requests now: what <c>/readyz</c> reports.</summary>
public interface IStoreStatus
{
    Task<StoreReadiness> CheckAsync(CancellationToken cancellationToken);
}

public sealed record StoreReadiness(bool Ready, string Status, long SchemaVersion);

/// <summary>Optional equality filters on a tenant's records; null matches everything.</summary>
public sealed record StockRecordFilter(string? AppId = null, string? CatalogItemId = null, string? LocationId = null);

/// <summary>Optional filters on a tenant's ledger; times are unix milliseconds, <c>To</c> exclusive.</summary>
public sealed record LedgerFilter(string? RecordId = null, string? OrderId = null, string? RequestId = null, long? From = null, long? To = null);

/// <summary>
/// The store cannot be reached (or failed mid-transaction, which it then rolled back): nothing was
/// changed, and the same request may be retried. Answered as 503.
/// </summary>
public sealed class StoreUnavailableException(string message, Exception? innerException = null) : Exception(message, innerException);
