namespace InventoryPlugin.Stock;

/// <summary>One entry of the append-only ledger. Every change to a record, from any source, writes exactly one.</summary>
public sealed record LedgerEntry
{
    /// <summary>The entry's position in the ledger; assigned on append (0 before).</summary>
    public long Seq { get; init; }

    public required string InstanceId { get; init; }

    public required string RecordId { get; init; }

    public required long Delta { get; init; }

    public required long QuantityAfter { get; init; }

    public required StockOperation Operation { get; init; }

    public string? Reason { get; init; }

    public string? OrderId { get; init; }

    public string? RequestId { get; init; }

    public required string ActorType { get; init; }

    public string? ActorId { get; init; }

    /// <summary>The decrement's restrictInventoryValue; null for other operations.</summary>
    public bool? RestrictFlag { get; init; }

    public required long CreatedAt { get; init; }

    /// <summary>The change to the units held by allocations (ALLOCATE, RELEASE, EXPIRE, COMMIT); 0 otherwise.</summary>
    public long AllocatedDelta { get; init; }

    /// <summary>The allocation an ALLOCATE, RELEASE, EXPIRE or COMMIT entry belongs to.</summary>
    public string? AllocationId { get; init; }

    /// <summary>The operation as stored and shown: <c>DECREMENT</c>, <c>INCREMENT</c>, <c>ADJUST</c> or <c>SET</c>.</summary>
    public static string OperationName(StockOperation operation) => operation switch
    {
        StockOperation.Decrement => "DECREMENT",
        StockOperation.Increment => "INCREMENT",
        StockOperation.Adjust => "ADJUST",
        StockOperation.Set => "SET",
        StockOperation.Allocate => "ALLOCATE",
        StockOperation.Release => "RELEASE",
        StockOperation.Expire => "EXPIRE",
        StockOperation.Commit => "COMMIT",
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, null),
    };

    /// <summary>The entry a platform request writes for one record it changed.</summary>
    public static LedgerEntry ForPlatformChange(StockChange change, string recordId, long delta, long quantityAfter, long nowMs) => new()
    {
        InstanceId = change.InstanceId,
        RecordId = recordId,
        Delta = delta,
        QuantityAfter = quantityAfter,
        Operation = change.Operation,
        Reason = change.Reason,
        OrderId = change.OrderId,
        RequestId = change.RequestId,
        ActorType = change.Actor.Type,
        ActorId = change.Actor.Id,
        RestrictFlag = change.Operation == StockOperation.Decrement ? change.Restrict : null,
        CreatedAt = nowMs,
    };

    /// <summary>The entry a merchant's change to <paramref name="record"/> writes.</summary>
    public static LedgerEntry ForMerchantChange(StockRecord record, long delta, StockOperation operation, string? reason, Actor actor, bool? restrict, long nowMs) => new()
    {
        InstanceId = record.Key.InstanceId,
        RecordId = record.Id,
        Delta = delta,
        QuantityAfter = record.Quantity + delta,
        Operation = operation,
        Reason = reason,
        ActorType = actor.Type,
        ActorId = actor.Id,
        RestrictFlag = restrict,
        CreatedAt = nowMs,
    };

    /// <summary>The ledger entry of a hold's change on one record (quantity moves only for a commit).</summary>
    public static LedgerEntry ForAllocation(Allocation allocation, AllocationItem item, StockOperation operation, long delta, long allocatedDelta, long quantityAfter, Actor actor, long now) => new()
    {
        InstanceId = allocation.InstanceId,
        RecordId = item.RecordId,
        Delta = delta,
        QuantityAfter = quantityAfter,
        Operation = operation,
        OrderId = allocation.OrderId,
        ActorType = actor.Type,
        ActorId = actor.Id,
        CreatedAt = now,
        AllocatedDelta = allocatedDelta,
        AllocationId = allocation.Id,
    };
}
