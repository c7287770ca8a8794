namespace InventoryPlugin.Stock;

/// <summary>Per-tenant choices that change how requests resolve and are judged.</summary>
public sealed record TenantSettings(string DefaultLocationId, UnknownItemPolicy UnknownItemPolicy)
{
    /// <summary>The location of lines that name none, until the merchant sets another.</summary>
    public const string FixedDefaultLocationId = "00000000-0000-0000-0000-000000000000";

    public static readonly TenantSettings Defaults = new(FixedDefaultLocationId, UnknownItemPolicy.Reject);
}
