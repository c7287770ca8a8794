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
    private readonly Dictionary<string, StockRecordState> _known = new(StringComparer.Ordinal);

    /// <summary>A record's summed changes in the transaction, and its last entry (the event's cause).</summary>
    public sealed record Touch(string InstanceId, long QuantityDelta, long AllocatedDelta, StockOperation Operation, string? RequestId);

    public IReadOnlyDictionary<string, Touch> Records => _records;

    public void Saw(LedgerEntry entry) =>
        _records[entry.RecordId] = _records.TryGetValue(entry.RecordId, out var earlier)
            ? new Touch(entry.InstanceId, earlier.QuantityDelta + entry.Delta, earlier.AllocatedDelta + entry.AllocatedDelta, entry.Operation, entry.RequestId ?? earlier.RequestId)
            : new Touch(entry.InstanceId, entry.Delta, entry.AllocatedDelta, entry.Operation, entry.RequestId);

    /// <summary>
    /// The state a record is known to have once the transaction's changes are in, taken from the rows the
    /// change itself read and judged. Settling judges such a record without reading it again, and reads it
    /// only when it crosses a level (rare): on the platform path that saves a read per record.
    /// </summary>
    public void Know(StockRecordState after) => _known[after.Id] = after;

    /// <summary>True when the record's known state after the transaction is at the level it last announced.</summary>
    public bool KnownToStay(string recordId) =>
        _known.TryGetValue(recordId, out var after) && StockLevels.Of(after) == after.AnnouncedLevel;

    public void Clear()
    {
        _records.Clear();
        _known.Clear();
    }
}
