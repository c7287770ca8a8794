using System.Diagnostics.CodeAnalysis;

namespace InventoryPlugin.Merchant;

public static class Ids
{
    /// <summary>
    /// Ids (records, orders, allocations, webhooks) are GUIDs stored in lower-case <c>D</c> form: any
    /// spelling of one finds it, and anything else is passed on as given (and simply finds nothing).
    /// </summary>
    [return: NotNullIfNotNull(nameof(id))]
    public static string? Canonical(string? id) => Guid.TryParse(id, out var guid) ? guid.ToString("D") : id;
}
