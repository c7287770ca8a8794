namespace InventoryPlugin.Stock;

/// <summary>The part of a stock record that judging and availability depend on.</summary>
/// <param name="Allocated">Units held by open, unexpired allocations: on hand but not for sale to others.</param>
/// <param name="LowStockThreshold">At or below this many available units the record is low on stock; null: never low.</param>
/// <param name="AnnouncedLevel">The level the record's last stock event announced (<see cref="StockLevels"/>).</param>
public sealed record StockRecordState(
    string Id,
    bool TrackQuantity,
    long Quantity,
    bool InStock,
    bool PreorderEnabled,
    long? PreorderLimit,
    long Revision,
    long Allocated = 0,
    long? LowStockThreshold = null,
    StockLevel AnnouncedLevel = StockLevel.Ok)
{
    /// <summary>On hand and not held: what the floor is judged against.</summary>
    public long Available => Quantity - Allocated;
}
