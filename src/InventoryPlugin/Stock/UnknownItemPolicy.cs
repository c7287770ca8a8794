namespace InventoryPlugin.Stock;

/// <summary>What a restricted decrement does with an item the store has no record of.</summary>
public enum UnknownItemPolicy
{
    /// <summary>Refuse it with cause UNKNOWN_ITEM: the platform must not sell what nobody stocked.</summary>
    Reject,

    /// <summary>Treat it as untracked and unlimited: it is allowed and nothing is recorded for it.</summary>
    Allow,
}
