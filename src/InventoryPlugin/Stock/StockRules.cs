namespace InventoryPlugin.Stock;

/// <summary>The verdict on one stock record asked for <c>Requested</c> units by a restricted decrement.</summary>
public readonly record struct DecrementVerdict(bool Allowed, RefusalCause Cause, long AvailableQuantity)
{
    public static DecrementVerdict Allow(long available) => new(true, default, available);

    public static DecrementVerdict Refuse(RefusalCause cause, long available) => new(false, cause, available);
}

/// <summary>
/// The stock rules of the contract (part 1.5 and part 2), as plain functions of a record's state.
/// Everything that judges or reports availability calls these, so the platform endpoints and the
/// merchant API can never disagree.
/// </summary>
public static class StockRules
{
    /// <summary>
    /// How low a quantity-tracked record may go: 0 without preorder, <c>-limit</c> with a preorder
    /// limit, and <c>null</c> (no floor) with an unlimited preorder.
    /// </summary>
    public static long? Floor(StockRecordState record) =>
        !record.PreorderEnabled ? 0
        : record.PreorderLimit is { } limit ? -limit
        : null;

    /// <summary>Units that can still be sold, or <c>null</c> when unlimited. Never negative.</summary>
    public static long? Sellable(StockRecordState record)
    {
        if (!record.TrackQuantity)
        {
            return record.InStock ? null : 0;
        }

        return Floor(record) is { } floor ? Math.Max(0, record.Available - floor) : null;
    }

    /// <summary>Preorder units still available, or <c>null</c> when unlimited (or not applicable).</summary>
    public static long? PreorderRemaining(StockRecordState record)
    {
        if (!record.TrackQuantity || !record.PreorderEnabled || record.PreorderLimit is not { } limit)
        {
            return null;
        }

        // Units sold (or held) below zero use up the limit; stock above zero does not add to it.
        return Math.Max(0, limit + Math.Min(0, record.Available));
    }

    public static AvailabilityStatus Status(StockRecordState record)
    {
        if (!record.TrackQuantity)
        {
            return record.InStock ? AvailabilityStatus.InStock : AvailabilityStatus.OutOfStock;
        }

        if (record.Available > 0)
        {
            return AvailabilityStatus.InStock;
        }

        var preorderOpen = record.PreorderEnabled && (PreorderRemaining(record) ?? long.MaxValue) > 0;
        return preorderOpen ? AvailabilityStatus.Preorder : AvailabilityStatus.OutOfStock;
    }

    /// <summary>Judges a restricted decrement of <paramref name="requested"/> units (already summed per record).</summary>
    public static DecrementVerdict JudgeDecrement(StockRecordState? record, long requested, UnknownItemPolicy unknownItems)
    {
        if (record is null)
        {
            return unknownItems == UnknownItemPolicy.Allow
                ? DecrementVerdict.Allow(long.MaxValue)
                : DecrementVerdict.Refuse(RefusalCause.UnknownItem, 0);
        }

        var sellable = Sellable(record);
        if (sellable is null || sellable >= requested)
        {
            return DecrementVerdict.Allow(sellable ?? long.MaxValue);
        }

        var available = sellable.Value;
        return DecrementVerdict.Refuse(available == 0 ? RefusalCause.OutOfStock : RefusalCause.InsufficientStock, available);
    }
}
