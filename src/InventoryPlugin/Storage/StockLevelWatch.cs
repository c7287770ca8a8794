using InventoryPlugin.Stock;

namespace InventoryPlugin.Storage;

/// <summary>
/// What one transaction's ledger entries did to each record. Every change to stock writes ledger
/// entries, so watching them is enough to know which records to judge for a level crossing
/// (<see cref="StockLevels"/>) before the transaction commits, whatever path changed them.
/// </summary>
public sealed class StockLevelWatch
{
    private readonly Dictionary<string, Touch> _records = new(StringComparer.Ordinal);

    /// <summary>A record's summed changes in the transaction, and its last entry (the event's cause).</summary>
    public sealed record Touch(string InstanceId, long QuantityDelta, long AllocatedDelta, StockOperation Operation, string? RequestId);

    public IReadOnlyDictionary<string, Touch> Records => _records;

    public void Saw(LedgerEntry entry) =>
        _records[entry.RecordId] = _records.TryGetValue(entry.RecordId, out var earlier)
            ? new Touch(entry.InstanceId, earlier.QuantityDelta + entry.Delta, earlier.AllocatedDelta + entry.AllocatedDelta, entry.Operation, entry.RequestId ?? earlier.RequestId)
            : new Touch(entry.InstanceId, entry.Delta, entry.AllocatedDelta, entry.Operation, entry.RequestId);

    public void Clear() => _records.Clear();
}
