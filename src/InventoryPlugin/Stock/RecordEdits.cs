namespace InventoryPlugin.Stock;

/// <summary>A record's merchant-settable state after an edit.</summary>
public sealed record RecordEdit(bool TrackQuantity, long Quantity, bool InStock, PreorderSettings Preorder, long? LowStockThreshold)
{
    public static RecordEdit Of(StockRecord record) => new(record.TrackQuantity, record.Quantity, record.InStock, record.Preorder, record.LowStockThreshold);
}

/// <summary>How a merchant's edits apply to a record: plain code both stores call.</summary>
public static class RecordEdits
{
    /// <summary>The record's state after <paramref name="change"/>, or null when nothing would change.</summary>
    public static RecordEdit? Apply(StockRecord current, StockSettingsChange change)
    {
        var edit = new RecordEdit(
            change.TrackQuantity ?? current.TrackQuantity,
            change.Quantity ?? current.Quantity,
            change.InStock ?? current.InStock,
            change.Preorder ?? current.Preorder,
            change.LowStockThreshold is { } threshold ? threshold.Value : current.LowStockThreshold);
        return edit == RecordEdit.Of(current) ? null : edit;
    }

    /// <summary>
    /// An upserted row as a change to the record that already has its key: every part is set, except a
    /// low-stock threshold the row does not give, which stays (stock feeds rarely carry alert settings).
    /// </summary>
    public static StockSettingsChange Replacing(NewStockRecord row) => new(
        row.TrackQuantity,
        row.TrackQuantity ? row.Quantity : null,
        row.TrackQuantity ? null : row.InStock,
        row.Preorder ?? PreorderSettings.Off,
        row.LowStockThreshold is { } threshold ? new ThresholdChange(threshold) : null);

    /// <summary>An adjustment by <paramref name="delta"/>; with <paramref name="restrict"/>, a decrease may not pass the record's floor.</summary>
    public static RecordOutcome.Refused? JudgeAdjustment(StockRecord current, long delta, bool restrict) =>
        restrict && delta < 0 && StockRules.JudgeDecrement(current.State, -delta, UnknownItemPolicy.Reject) is { Allowed: false } verdict
            ? new RecordOutcome.Refused(verdict.Cause, verdict.AvailableQuantity)
            : null;
}
