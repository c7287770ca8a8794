namespace InventoryPlugin.Stock;

/// <summary>The part of a stock record that judging and availability depend on.</summary>
public sealed record StockRecordState(
    string Id,
    bool TrackQuantity,
    long Quantity,
    bool InStock,
    bool PreorderEnabled,
    long? PreorderLimit,
    long Revision);
