using InventoryPlugin.Stock;

namespace InventoryPlugin.Platform;

/// <summary>Marks a platform route with the operation its envelope is parsed for.</summary>
public sealed record PlatformOperationMetadata(StockOperation Operation);
