namespace InventoryPlugin.Stock;

public enum AvailabilityStatus
{
    InStock,
    Preorder,
    OutOfStock,
}
