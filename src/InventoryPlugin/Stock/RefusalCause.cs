namespace InventoryPlugin.Stock;

public enum RefusalCause
{
    InsufficientStock,
    OutOfStock,
    UnknownItem,
}
