using InventoryPlugin.Platform;
using InventoryPlugin.Stock;
using InventoryPlugin.Storage;

namespace InventoryPlugin.Merchant;

/// <summary>What can be sold: records resolved exactly as the platform endpoints resolve them, judged by the same rules.</summary>
public static class AvailabilityEndpoints
{
    public static void MapAvailabilityEndpoints(this MerchantRoutes routes) =>
        routes.Read.MapPost("/availability", CheckAsync).WithTags("Availability")
            .WithSummary("Availability of up to 300 items; canFulfil tells whether a restricted decrement of that quantity would be applied now.");

    private static async Task<IResult> CheckAsync(AvailabilityRequest? body, Tenant tenant, IStockReader reader, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var items = body?.Items;
        if (items is null || items.Count is < 1 or > EnvelopeParser.MaxItems)
        {
            errors.Add("items", $"must hold between 1 and {EnvelopeParser.MaxItems} items");
            return MerchantProblems.Validation(errors);
        }

        var settings = await reader.LoadSettingsAsync(tenant.InstanceId, cancellationToken).ConfigureAwait(false);
        var keys = new List<StockKey?>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var path = $"items[{i}]";
            if (items[i] is not { } item)
            {
                errors.Add(path, "is required");
                keys.Add(null);
                continue;
            }

            if (item.Quantity is < 1 or > EnvelopeParser.MaxQuantity)
            {
                errors.Add($"{path}.quantity", $"must be between 1 and {EnvelopeParser.MaxQuantity}");
            }

            keys.Add(ItemInputs.Key(tenant.InstanceId, item.CatalogReference, item.LocationId, settings, path, errors));
        }

        if (errors.Any)
        {
            return MerchantProblems.Validation(errors);
        }

        var records = await reader.FindByKeysAsync(keys.Select(k => k!.Value).ToList(), cancellationToken).ConfigureAwait(false);
        var answers = items.Select((item, i) => Describe(records[i], keys[i]!.Value, item!.Quantity, settings)).ToList();
        return TypedResults.Ok(new AvailabilityResponse(answers));
    }

    private static AvailabilityItemView Describe(StockRecord? record, StockKey key, long? quantity, TenantSettings settings)
    {
        var reference = new CatalogReferenceView(key.AppId, key.CatalogItemId, key.VariantKey);
        bool? canFulfil = quantity is { } wanted ? StockRules.JudgeDecrement(record?.State, wanted, settings.UnknownItemPolicy).Allowed : null;
        if (record is null)
        {
            return new AvailabilityItemView(reference, key.LocationId, false, null, null, null, null,
                InventoryItemView.StatusName(AvailabilityStatus.OutOfStock), null, canFulfil);
        }

        var view = InventoryItemView.From(record);
        return new AvailabilityItemView(reference, key.LocationId, true, record.Id, record.TrackQuantity,
            record.TrackQuantity ? record.Quantity : null, view.InStock, view.AvailabilityStatus, view.Preorder, canFulfil,
            record.TrackQuantity ? record.Allocated : null, record.TrackQuantity ? record.State.Available : null);
    }
}
