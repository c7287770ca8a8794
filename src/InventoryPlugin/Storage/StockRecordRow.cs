using InventoryPlugin.Stock;

namespace InventoryPlugin.Storage;

/// <summary>
/// A stock_records row as both stores select it (<see cref="Columns"/>, from the unaliased table, with
/// an <c>@now</c> parameter), mapped by Dapper.
/// </summary>
internal sealed class StockRecordRow
{
    /// <summary>
    /// Units of record <paramref name="recordId"/> held by OPEN allocations that have not expired at
    /// <c>@now</c>: computed, never stored, so an expired hold stops counting before the sweep runs.
    /// </summary>
    public static string AllocatedSql(string recordId, string now = "@now") => $"""
        (SELECT CAST(COALESCE(SUM(ai.quantity), 0) AS BIGINT) FROM allocation_items ai JOIN allocations a ON a.id = ai.allocation_id
         WHERE ai.record_id = {recordId} AND a.status = 'OPEN' AND a.expires_at > {now})
        """;

    public static readonly string Columns = $"""
        id AS Id, instance_id AS InstanceId, app_id AS AppId, catalog_item_id AS CatalogItemId, variant_key AS VariantKey,
        location_id AS LocationId, track_quantity AS TrackQuantity, quantity AS Quantity, in_stock AS InStock,
        preorder_enabled AS PreorderEnabled, preorder_limit AS PreorderLimit, preorder_message AS PreorderMessage,
        auto_created AS AutoCreated, revision AS Revision, created_at AS CreatedAt, updated_at AS UpdatedAt,
        low_stock_threshold AS LowStockThreshold, stock_level AS StockLevel,
        {AllocatedSql("stock_records.id")} AS Allocated
        """;

    /// <summary>Parameters for <see cref="KeyCondition"/> and <see cref="Columns"/>.</summary>
    public static object KeyParameters(StockKey key, long now) =>
        new { key.InstanceId, key.AppId, key.CatalogItemId, key.VariantKey, key.LocationId, now };

    /// <summary>A record by its key; parameters named like <see cref="StockKey"/>'s members.</summary>
    public const string KeyCondition = """
        instance_id = @InstanceId AND app_id = @AppId AND catalog_item_id = @CatalogItemId
          AND variant_key = @VariantKey AND location_id = @LocationId
        """;

    public string Id { get; init; } = "";

    public string InstanceId { get; init; } = "";

    public string AppId { get; init; } = "";

    public string CatalogItemId { get; init; } = "";

    public string VariantKey { get; init; } = "";

    public string LocationId { get; init; } = "";

    public bool TrackQuantity { get; init; }

    public long Quantity { get; init; }

    public bool InStock { get; init; }

    public bool PreorderEnabled { get; init; }

    public long? PreorderLimit { get; init; }

    public string? PreorderMessage { get; init; }

    public bool AutoCreated { get; init; }

    public long Revision { get; init; }

    public long CreatedAt { get; init; }

    public long UpdatedAt { get; init; }

    public long Allocated { get; init; }

    public long? LowStockThreshold { get; init; }

    public string StockLevel { get; init; } = "OK";

    public StockRecord ToRecord() => new(
        Id,
        new StockKey(InstanceId, AppId, CatalogItemId, VariantKey, LocationId),
        TrackQuantity,
        Quantity,
        InStock,
        new PreorderSettings(PreorderEnabled, PreorderLimit, PreorderMessage),
        AutoCreated,
        Revision,
        DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt),
        DateTimeOffset.FromUnixTimeMilliseconds(UpdatedAt),
        Allocated,
        LowStockThreshold,
        StockLevels.Parse(StockLevel) ?? throw new InvalidOperationException($"Unknown stock level '{StockLevel}'."));
}

/// <summary>The Dapper parameters both stores bind to their INSERT and UPDATE of a record, named alike.</summary>
internal static class StockRecordParameters
{
    public static object ForInsert(string id, NewStockRecord record, long now)
    {
        var preorder = record.Preorder ?? PreorderSettings.Off;
        return new
        {
            id,
            record.Key.InstanceId,
            record.Key.AppId,
            record.Key.CatalogItemId,
            record.Key.VariantKey,
            record.Key.LocationId,
            trackQuantity = record.TrackQuantity,
            quantity = record.Quantity,
            inStock = record.InStock,
            preorderEnabled = preorder.Enabled,
            preorderLimit = preorder.Limit,
            preorderMessage = preorder.Message,
            lowStockThreshold = record.LowStockThreshold,
            stockLevel = StockLevels.Name(StockLevels.OfCreated(record)),
            now,
        };
    }

    public static object ForEdit(StockRecord current, RecordEdit edit, long now) => new
    {
        id = current.Id,
        revision = current.Revision,
        trackQuantity = edit.TrackQuantity,
        quantity = edit.Quantity,
        inStock = edit.InStock,
        preorderEnabled = edit.Preorder.Enabled,
        preorderLimit = edit.Preorder.Limit,
        preorderMessage = edit.Preorder.Message,
        lowStockThreshold = edit.LowStockThreshold,
        now,
    };
}
