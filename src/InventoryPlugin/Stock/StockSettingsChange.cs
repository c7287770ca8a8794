namespace InventoryPlugin.Stock;

/// <summary>
/// What a merchant sets on a record: the tracking mode, the quantity (a SET, ledgered as the
/// difference) or the in-stock flag, and the preorder settings. A null member leaves that part as it is.
/// </summary>
public sealed record StockSettingsChange(bool? TrackQuantity, long? Quantity, bool? InStock, PreorderSettings? Preorder);
