namespace InventoryPlugin.Stock;

/// <summary>Identifies one stock record: the unit that is counted, judged and locked.</summary>
public readonly record struct StockKey(
    string InstanceId,
    string AppId,
    string CatalogItemId,
    string VariantKey,
    string LocationId);
