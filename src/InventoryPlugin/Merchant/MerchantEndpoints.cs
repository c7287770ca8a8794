using InventoryPlugin.Events;

namespace InventoryPlugin.Merchant;

/// <summary>
/// The two route groups of the merchant API. Every route is mapped into one of them, so none can be
/// reached without a tenant token carrying the scope its group requires.
/// </summary>
public sealed record MerchantRoutes(RouteGroupBuilder Read, RouteGroupBuilder Write);

public static class MerchantEndpoints
{
    public const string Prefix = "/api/v1";

    public static MerchantRoutes MapMerchantEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var routes = new MerchantRoutes(
            endpoints.MapGroup(Prefix).RequireAuthorization(MerchantAuthentication.ReadPolicy),
            endpoints.MapGroup(Prefix).RequireAuthorization(MerchantAuthentication.WritePolicy));
        routes.MapInventoryItemsEndpoints();
        routes.MapCsvTransferEndpoints();
        routes.MapAvailabilityEndpoints();
        routes.MapLedgerEndpoints();
        routes.MapSettingsEndpoints();
        routes.MapAllocationEndpoints();
        routes.MapEventEndpoints();
        return routes;
    }
}
