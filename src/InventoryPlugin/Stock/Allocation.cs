namespace InventoryPlugin.Stock;

public enum AllocationStatus
{
    Open,
    Committed,
    Released,
    Expired,
}

/// <summary>Units of one record held by an allocation.</summary>
/// <param name="CatalogReferenceJson">The catalog reference as the merchant sent it, echoed back.</param>
public sealed record AllocationItem(string RecordId, string LocationId, string CatalogReferenceJson, long Quantity);

/// <summary>
/// A hold on stock (Total = Available + Allocated): reserved while a customer pays, then committed
/// (a decrement), released, or expired.
/// </summary>
public sealed record Allocation(
    string Id,
    string InstanceId,
    AllocationStatus Status,
    string? OrderId,
    string? IdempotencyKey,
    long ExpiresAtMs,
    long CreatedAtMs,
    long? ClosedAtMs,
    IReadOnlyList<AllocationItem> Items)
{
    /// <summary>The status readers see: an open allocation past its expiry is expired, swept or not.</summary>
    public AllocationStatus StatusAt(long nowMs) => Status == AllocationStatus.Open && ExpiresAtMs <= nowMs ? AllocationStatus.Expired : Status;

    public static string StatusName(AllocationStatus status) => status switch
    {
        AllocationStatus.Open => "OPEN",
        AllocationStatus.Committed => "COMMITTED",
        AllocationStatus.Released => "RELEASED",
        AllocationStatus.Expired => "EXPIRED",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static AllocationStatus ParseStatus(string name) =>
        Enum.GetValues<AllocationStatus>().First(s => StatusName(s) == name);
}

/// <summary>A merchant's request to hold stock, validated.</summary>
public sealed record AllocationRequest(
    string InstanceId,
    IReadOnlyList<Demand> Lines,
    long TtlSeconds,
    string? OrderId,
    string? IdempotencyKey,
    Actor Actor);

/// <summary>What became of an allocation call.</summary>
public abstract record AllocationOutcome
{
    private AllocationOutcome()
    {
    }

    /// <summary>A new allocation, or (same idempotency key) the one made before.</summary>
    public sealed record Created(Allocation Allocation, bool Replayed) : AllocationOutcome;

    /// <summary>Not every item can be held: nothing was.</summary>
    public sealed record Refused(IReadOnlyList<RefusedItem> Items) : AllocationOutcome;

    /// <summary>Committed or released now, or (a second call) as it was the first time.</summary>
    public sealed record Closed(Allocation Allocation, bool Replayed) : AllocationOutcome;

    /// <summary>The allocation is in a state that does not allow the call (e.g. committing a released or expired one).</summary>
    public sealed record Conflict(Allocation Allocation) : AllocationOutcome;

    public sealed record NotFound : AllocationOutcome;
}

/// <summary>What closing an allocation does: finish it as a status, replay the first answer, or refuse.</summary>
public abstract record CloseDecision
{
    private CloseDecision()
    {
    }

    public sealed record Finish(AllocationStatus As) : CloseDecision;

    public sealed record Replay : CloseDecision;

    public sealed record Conflict(AllocationStatus Seen) : CloseDecision;
}

/// <summary>The rules of holding stock, as plain code both stores call.</summary>
public static class AllocationRules
{
    public const long DefaultTtlSeconds = 15 * 60;
    public const long MaxTtlSeconds = 24 * 60 * 60;

    /// <summary>
    /// Judges holding each demand (already summed per record) against what is available now. Only
    /// counted stock can be held: an unknown record is refused whatever the unknown-item policy.
    /// </summary>
    public static IReadOnlyList<RefusedItem> Judge(IReadOnlyList<Demand> demands, IReadOnlyList<StockRecordState?> records)
    {
        var refused = new List<RefusedItem>();
        for (var i = 0; i < demands.Count; i++)
        {
            var verdict = StockRules.JudgeDecrement(records[i], demands[i].Quantity, UnknownItemPolicy.Reject);
            if (!verdict.Allowed)
            {
                refused.Add(new RefusedItem(demands[i].CatalogReferenceJson, demands[i].Key.LocationId, demands[i].Quantity, verdict.AvailableQuantity, verdict.Cause));
            }
        }

        return refused;
    }

    /// <summary>What a commit (<paramref name="wanted"/> Committed) or release (Released) of <paramref name="allocation"/> does at <paramref name="nowMs"/>.</summary>
    public static CloseDecision OnClose(Allocation allocation, AllocationStatus wanted, long nowMs) => allocation.StatusAt(nowMs) switch
    {
        AllocationStatus.Open => new CloseDecision.Finish(wanted),
        // Expired but not swept yet: releasing it expires it now; it can no longer be committed.
        AllocationStatus.Expired when allocation.Status == AllocationStatus.Open && wanted == AllocationStatus.Released =>
            new CloseDecision.Finish(AllocationStatus.Expired),
        var status when status == wanted || (status == AllocationStatus.Expired && wanted == AllocationStatus.Released) => new CloseDecision.Replay(),
        var status => new CloseDecision.Conflict(status),
    };

    /// <summary>The ledger operation of closing an allocation as <paramref name="status"/>.</summary>
    public static StockOperation OperationFor(AllocationStatus status) => status switch
    {
        AllocationStatus.Committed => StockOperation.Commit,
        AllocationStatus.Released => StockOperation.Release,
        AllocationStatus.Expired => StockOperation.Expire,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Only a closing status has an operation."),
    };

    /// <summary>
    /// A platform decrement of the allocation's order may use what the allocation holds: its records'
    /// states as that request judges them, with the order's own hold no longer counted against it.
    /// </summary>
    public static IReadOnlyList<StockRecordState?> WithoutHolds(IReadOnlyList<StockRecordState?> records, IReadOnlyDictionary<string, long> heldForOrder) =>
        records.Select(r => r is not null && heldForOrder.TryGetValue(r.Id, out var held) ? r with { Allocated = r.Allocated - held } : r).ToList();
}
