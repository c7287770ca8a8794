namespace InventoryPlugin.Stock;

/// <summary>
/// A record crossed a level (<see cref="StockLevels"/>). Written to the outbox in the transaction of the
/// change that caused it; <see cref="Seq"/> orders a tenant's events as they were committed.
/// </summary>
/// <param name="LedgerSeq">The last ledger entry of the record in the causing transaction.</param>
/// <param name="Operation">That entry's operation (DECREMENT, ADJUST, EXPIRE, ...).</param>
/// <param name="RequestId">The platform request that caused it, if one did.</param>
public sealed record StockEvent(
    long Seq,
    string Id,
    StockEventType Type,
    string RecordId,
    StockKey Key,
    long QuantityBefore,
    long QuantityAfter,
    long AvailableBefore,
    long AvailableAfter,
    long? LowStockThreshold,
    long LedgerSeq,
    StockOperation Operation,
    string? RequestId,
    long CreatedAt);
