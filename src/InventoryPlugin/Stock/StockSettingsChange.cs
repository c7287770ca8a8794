namespace InventoryPlugin.Stock;

/// <summary>
/// What a merchant sets on a record: the tracking mode, the quantity (a SET, ledgered as the
/// difference) or the in-stock flag, the preorder settings and the low-stock threshold. A null member
/// leaves that part as it is.
/// </summary>
public sealed record StockSettingsChange(bool? TrackQuantity, long? Quantity, bool? InStock, PreorderSettings? Preorder, ThresholdChange? LowStockThreshold = null);

/// <summary>A new low-stock threshold; a null <paramref name="Value"/> removes it.</summary>
public sealed record ThresholdChange(long? Value);
