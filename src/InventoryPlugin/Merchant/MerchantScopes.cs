using System.Security.Claims;

namespace InventoryPlugin.Merchant;

/// <summary>The merchant API's authorization: a tenant from <c>instance_id</c> and scopes from <c>scope</c>.</summary>
public static class MerchantScopes
{
    public const string Read = "inventory:read";
    public const string Write = "inventory:write";
    public const string TenantClaim = "instance_id";
    public const string ScopeClaim = "scope";

    public static bool HasScope(ClaimsPrincipal user, string scope) =>
        user.FindAll(ScopeClaim).Any(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(scope, StringComparer.Ordinal));

    /// <summary>The caller's tenant in the same canonical spelling the platform endpoints store, or null.</summary>
    public static string? Tenant(ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirst(TenantClaim)?.Value, out var tenant) ? tenant.ToString("D") : null;
}
