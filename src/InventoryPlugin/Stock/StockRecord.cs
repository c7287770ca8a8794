namespace InventoryPlugin.Stock;

public sealed record PreorderSettings(bool Enabled, long? Limit, string? Message)
{
    public static readonly PreorderSettings Off = new(false, null, null);
}

/// <summary>A whole stock record, as the merchant API shows it.</summary>
public sealed record StockRecord(
    string Id,
    StockKey Key,
    bool TrackQuantity,
    long Quantity,
    bool InStock,
    PreorderSettings Preorder,
    bool AutoCreated,
    long Revision,
    DateTimeOffset CreatedDate,
    DateTimeOffset UpdatedDate,
    long Allocated = 0,
    long? LowStockThreshold = null,
    StockLevel AnnouncedLevel = StockLevel.Ok)
{
    public StockRecordState State =>
        new(Id, TrackQuantity, Quantity, InStock, Preorder.Enabled, Preorder.Limit, Revision, Allocated, LowStockThreshold, AnnouncedLevel);
}
