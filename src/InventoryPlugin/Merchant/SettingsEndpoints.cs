using InventoryPlugin.Stock;
using InventoryPlugin.Storage;

namespace InventoryPlugin.Merchant;

/// <summary>The tenant's default location and unknown-item policy, which the platform endpoints honour from the next request on.</summary>
public static class SettingsEndpoints
{
    public static void MapSettingsEndpoints(this MerchantRoutes routes)
    {
        routes.Read.MapGet("/settings", GetAsync).WithTags("Settings").WithSummary("The tenant's settings.");
        routes.Write.MapPut("/settings", PutAsync).WithTags("Settings")
            .WithSummary("Replace the tenant's settings; a null default location means the fixed default.");
    }

    private static async Task<Microsoft.AspNetCore.Http.HttpResults.Ok<SettingsView>> GetAsync(Tenant tenant, IStockReader reader, CancellationToken cancellationToken) =>
        TypedResults.Ok(View(await reader.LoadSettingsAsync(tenant.InstanceId, cancellationToken).ConfigureAwait(false)));

    private static async Task<IResult> PutAsync(SettingsRequest? body, Tenant tenant, IStockStore store, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var location = ItemInputs.Location(body?.DefaultLocationId, "defaultLocationId", errors) ?? TenantSettings.FixedDefaultLocationId;
        var policy = TenantSettings.Defaults.UnknownItemPolicy;
        if (body?.UnknownItemPolicy is { } name)
        {
            // By name only: Enum.TryParse would also take "1" or "7".
            var known = Enum.GetValues<UnknownItemPolicy>().Where(p => p.ToString().Equals(name, StringComparison.OrdinalIgnoreCase)).ToList();
            if (known.Count == 1)
            {
                policy = known[0];
            }
            else
            {
                errors.Add("unknownItemPolicy", "must be Reject or Allow");
            }
        }

        if (errors.Any)
        {
            return MerchantProblems.Validation(errors);
        }

        var settings = new TenantSettings(location, policy);
        await store.SaveSettingsAsync(tenant.InstanceId, settings, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(View(settings));
    }

    private static SettingsView View(TenantSettings settings) => new(settings.DefaultLocationId, settings.UnknownItemPolicy.ToString());
}
