using InventoryPlugin.Stock;
using InventoryPlugin.Storage;

namespace InventoryPlugin.Merchant;

/// <summary>Stock records: create, read, change, adjust, delete, query and bulk upsert.</summary>
public static class InventoryItemsEndpoints
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;
    public const int MaxBulkRows = 1000;

    public static void MapInventoryItemsEndpoints(this MerchantRoutes routes)
    {
        var read = routes.Read.MapGroup("/inventory-items").WithTags("Inventory items");
        var write = routes.Write.MapGroup("/inventory-items").WithTags("Inventory items");
        write.MapPost("/", CreateAsync).WithSummary("Create a stock record.");
        read.MapGet("/{id}", GetAsync).WithSummary("One stock record, with its availability status.");
        write.MapPatch("/{id}", PatchAsync).WithSummary("Change tracking, quantity (a SET), inStock or preorder; requires the current revision.");
        write.MapDelete("/{id}", DeleteAsync).WithSummary("Remove a record; its ledger entries stay.");
        read.MapPost("/query", QueryAsync).WithSummary("Filter records, with cursor paging.");
        write.MapPost("/{id}/adjust", AdjustAsync).WithSummary("Add a delta; with restrict, refuse going below what the record may sell.");
        write.MapPost("/bulk-upsert", BulkUpsertAsync).WithSummary("Create or update up to 1000 records by key, in one transaction.");
    }

    private static async Task<IResult> CreateAsync(InventoryItemInput? body, Tenant tenant, IStockStore store, IStockReader reader, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var record = ItemInputs.NewRecord(tenant.InstanceId, body, await reader.LoadSettingsAsync(tenant.InstanceId, cancellationToken).ConfigureAwait(false), "", errors);
        if (record is null)
        {
            return MerchantProblems.Validation(errors);
        }

        return MerchantProblems.ToResult(await store.CreateAsync(record, tenant.Actor, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> GetAsync(string id, Tenant tenant, IStockReader reader, CancellationToken cancellationToken) =>
        await reader.GetAsync(tenant.InstanceId, Ids.Canonical(id), cancellationToken).ConfigureAwait(false) is { } record
            ? TypedResults.Ok(InventoryItemView.From(record))
            : MerchantProblems.NotFound("The inventory item");

    private static async Task<IResult> PatchAsync(string id, PatchInventoryItemRequest? body, Tenant tenant, IStockStore store, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        if (body is null)
        {
            errors.Add("body", "is required");
            return MerchantProblems.Validation(errors);
        }

        if (body.Revision is null)
        {
            errors.Add("revision", "is required: the revision you read, so that a concurrent change is not overwritten");
        }

        ItemInputs.Quantity(body.Quantity, "quantity", errors);
        var preorder = ItemInputs.Preorder(body.Preorder, body.TrackQuantity ?? true, "preorder", errors);
        var threshold = ItemInputs.LowStockThresholdChange(body.LowStockThreshold, "lowStockThreshold", errors);
        if (errors.Any)
        {
            return MerchantProblems.Validation(errors);
        }

        var change = new StockSettingsChange(body.TrackQuantity, body.Quantity, body.InStock, preorder, threshold);
        return MerchantProblems.ToResult(await store.ChangeAsync(tenant.InstanceId, Ids.Canonical(id), body.Revision!.Value, change, tenant.Actor, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> DeleteAsync(string id, Tenant tenant, IStockStore store, CancellationToken cancellationToken) =>
        await store.DeleteAsync(tenant.InstanceId, Ids.Canonical(id), cancellationToken).ConfigureAwait(false)
            ? TypedResults.NoContent()
            : MerchantProblems.NotFound("The inventory item");

    private static async Task<IResult> AdjustAsync(string id, AdjustRequest? body, Tenant tenant, IStockStore store, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        if (body?.Delta is not { } delta || delta == 0)
        {
            errors.Add("delta", "is required and must not be 0");
        }
        else
        {
            ItemInputs.Quantity(delta, "delta", errors);
        }

        if (body?.Reason is { Length: > ItemInputs.MaxMessageLength })
        {
            errors.Add("reason", $"must be at most {ItemInputs.MaxMessageLength} characters long");
        }

        if (errors.Any)
        {
            return MerchantProblems.Validation(errors);
        }

        var outcome = await store.AdjustAsync(tenant.InstanceId, Ids.Canonical(id), body!.Delta!.Value, body.Reason, body.Restrict ?? false, tenant.Actor, cancellationToken)
            .ConfigureAwait(false);
        return MerchantProblems.ToResult(outcome);
    }

    private static async Task<IResult> QueryAsync(QueryRequest? body, Tenant tenant, IStockReader reader, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var limit = body?.Limit ?? DefaultPageSize;
        if (limit is < 1 or > MaxPageSize)
        {
            errors.Add("limit", $"must be between 1 and {MaxPageSize}");
        }

        if (!Cursor.TryDecode(body?.Cursor, out var after))
        {
            errors.Add("cursor", "is not a cursor this API returned");
        }

        var filter = body?.Filter;
        var location = ItemInputs.Location(filter?.LocationId, "filter.locationId", errors);
        AvailabilityStatus? status = null;
        if (filter?.AvailabilityStatus is { } statusName)
        {
            status = ParseStatus(statusName);
            if (status is null)
            {
                errors.Add("filter.availabilityStatus", "must be IN_STOCK, PREORDER or OUT_OF_STOCK");
            }
        }

        StockLevel? level = null;
        if (filter?.StockLevel is { } levelName)
        {
            level = StockLevels.Parse(levelName);
            if (level is null)
            {
                errors.Add("filter.stockLevel", "must be OK, LOW or OUT");
            }
        }

        if (errors.Any)
        {
            return MerchantProblems.Validation(errors);
        }

        // Status and level are derived, never stored: pages are read in id order and filtered by the same rule
        // that judges decrements, so a query can never disagree with what the platform is told.
        var storeFilter = new StockRecordFilter(filter?.AppId, filter?.CatalogItemId, location);
        var found = new List<InventoryItemView>(Math.Min(limit, 256));
        var lastScanned = after;
        var more = false;
        while (!more)
        {
            var page = await reader.PageAsync(tenant.InstanceId, storeFilter, lastScanned, limit, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < page.Count && !more; i++)
            {
                lastScanned = page[i].Id;
                if ((status is null || StockRules.Status(page[i].State) == status) && (level is null || StockLevels.Of(page[i].State) == level))
                {
                    found.Add(InventoryItemView.From(page[i]));
                    more = found.Count == limit && (i < page.Count - 1 || page.Count == limit);
                }
            }

            if (page.Count < limit)
            {
                break;
            }
        }

        return TypedResults.Ok(new QueryResponse(found, more ? Cursor.Encode(lastScanned!) : null));
    }

    private static async Task<IResult> BulkUpsertAsync(BulkUpsertRequest? body, Tenant tenant, IStockStore store, IStockReader reader, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var rows = body?.Items;
        if (rows is null || rows.Count is < 1 or > MaxBulkRows)
        {
            errors.Add("items", $"must hold between 1 and {MaxBulkRows} records");
        }

        var allOrNothing = BulkPolicy.Parse(body?.ErrorPolicy, "errorPolicy", errors);
        if (errors.Any)
        {
            return MerchantProblems.Validation(errors);
        }

        var settings = await reader.LoadSettingsAsync(tenant.InstanceId, cancellationToken).ConfigureAwait(false);
        var candidates = rows!.Select((row, index) => (Index: index, Prefix: $"items[{index}]", Input: row)).ToList();
        return await BulkPolicy.ApplyAsync(
            candidates.Select(c =>
            {
                var rowErrors = new ValidationErrors();
                var record = ItemInputs.NewRecord(tenant.InstanceId, c.Input, settings, c.Prefix, rowErrors);
                return new BulkPolicy.Row(c.Index, record, rowErrors);
            }).ToList(),
            allOrNothing,
            store,
            tenant,
            cancellationToken).ConfigureAwait(false);
    }


    private static AvailabilityStatus? ParseStatus(string name) => name.ToUpperInvariant() switch
    {
        "IN_STOCK" => AvailabilityStatus.InStock,
        "PREORDER" => AvailabilityStatus.Preorder,
        "OUT_OF_STOCK" => AvailabilityStatus.OutOfStock,
        _ => null,
    };
}
