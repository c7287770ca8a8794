namespace InventoryPlugin.Stock;

/// <summary>A stock record as a merchant creates it.</summary>
public sealed record NewStockRecord(StockKey Key, bool TrackQuantity, long Quantity, bool InStock, PreorderSettings? Preorder = null, long? LowStockThreshold = null);
