namespace InventoryPlugin.Stock;

/// <summary>Per-tenant choices that change how requests resolve and are judged.</summary>
public sealed record TenantSettings(string DefaultLocationId, UnknownItemPolicy UnknownItemPolicy)
{
    /// <summary>The location of lines that name none, until the merchant sets another.</summary>
    public const string FixedDefaultLocationId = "00000000-0000-0000-0000-000000000000";

    public static readonly TenantSettings Defaults = new(FixedDefaultLocationId, UnknownItemPolicy.Reject);

    /// <summary>Settings as stored: a column left null (or a policy this version does not know) keeps its default.</summary>
    public static TenantSettings FromStored(string? defaultLocationId, string? unknownItemPolicy) => new(
        defaultLocationId ?? Defaults.DefaultLocationId,
        Enum.TryParse<UnknownItemPolicy>(unknownItemPolicy, out var policy) ? policy : Defaults.UnknownItemPolicy);
}
