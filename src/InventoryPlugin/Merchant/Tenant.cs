using System.Reflection;
using InventoryPlugin.Stock;

namespace InventoryPlugin.Merchant;

/// <summary>
/// The caller's tenant and identity, bound from the validated token. Every merchant query and change
/// is scoped by <see cref="InstanceId"/>, so a token never sees another tenant's data.
/// </summary>
public sealed record Tenant(string InstanceId, Actor Actor)
{
    // The authorization policies have already required a valid instance_id on every merchant route.
    public static ValueTask<Tenant?> BindAsync(HttpContext context, ParameterInfo parameter) =>
        ValueTask.FromResult<Tenant?>(MerchantScopes.Tenant(context.User) is { } tenant
            ? new Tenant(tenant, new Actor("MERCHANT", context.User.FindFirst("sub")?.Value))
            : null);
}
