namespace InventoryPlugin.Stock;

/// <summary>What became of a merchant's change to one record.</summary>
public abstract record RecordOutcome
{
    private RecordOutcome()
    {
    }

    public sealed record Created(StockRecord Record) : RecordOutcome;

    public sealed record Updated(StockRecord Record) : RecordOutcome;

    public sealed record Unchanged(StockRecord Record) : RecordOutcome;

    public sealed record AlreadyExists(string ExistingId) : RecordOutcome;

    public sealed record NotFound : RecordOutcome;

    public sealed record RevisionMismatch(long CurrentRevision) : RecordOutcome;

    public sealed record Refused(RefusalCause Cause, long AvailableQuantity) : RecordOutcome;
}
