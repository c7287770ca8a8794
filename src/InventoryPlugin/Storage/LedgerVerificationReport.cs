namespace InventoryPlugin.Storage;

/// <summary>A record whose stored quantity is not what its ledger adds up to.</summary>
public sealed class RecordDrift
{
    public required string InstanceId { get; init; }

    public required string RecordId { get; init; }

    public long Quantity { get; init; }

    public long LedgerSum { get; init; }

    public long Entries { get; init; }

    public long Drift => Quantity - LedgerSum;

    /// <summary>Units the record's OPEN allocations hold (expired ones not yet swept included).</summary>
    public long Held { get; init; }

    /// <summary>The sum of the record's ALLOCATE, RELEASE, EXPIRE and COMMIT entries' allocated deltas.</summary>
    public long AllocatedLedgerSum { get; init; }
}

/// <summary>A ledger entry whose <c>quantity_after</c> is not the running sum of its record's deltas up to it.</summary>
public sealed class BrokenLedgerEntry
{
    public long Seq { get; init; }

    public required string InstanceId { get; init; }

    public required string RecordId { get; init; }

    public long QuantityAfter { get; init; }

    public long RunningSum { get; init; }
}

/// <summary>
/// Every record's quantity recomputed from the append-only ledger. Every change the service makes
/// writes its ledger rows in the same transaction, so any drift means a write bypassed the service
/// or the data was damaged.
/// </summary>
public sealed record LedgerVerificationReport(long Records, long Entries, IReadOnlyList<RecordDrift> Drifts, IReadOnlyList<BrokenLedgerEntry> BrokenEntries)
{
    /// <summary>Most drifts and broken entries listed; the counts above them are always complete.</summary>
    public const int MaxListed = 1000;

    public bool Consistent => Drifts.Count == 0 && BrokenEntries.Count == 0;
}
