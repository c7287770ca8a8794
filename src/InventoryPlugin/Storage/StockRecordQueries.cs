using Dapper;
using InventoryPlugin.Stock;
using Microsoft.Data.Sqlite;

namespace InventoryPlugin.Storage;

/// <summary>Reads of stock records and tenant settings, shared by the writer's transactions and by plain reads.</summary>
public static class StockRecordQueries
{
    public static StockRecordState? FindByKey(SqliteConnection connection, SqliteTransaction? transaction, StockKey key) =>
        connection.QuerySingleOrDefault<StockRecordRow>(
            """
            SELECT id AS Id, track_quantity AS TrackQuantity, quantity AS Quantity, in_stock AS InStock,
                   preorder_enabled AS PreorderEnabled, preorder_limit AS PreorderLimit, revision AS Revision
            FROM stock_records
            WHERE instance_id = @InstanceId AND app_id = @AppId AND catalog_item_id = @CatalogItemId
              AND variant_key = @VariantKey AND location_id = @LocationId
            """,
            key,
            transaction)?.ToState();

    public static TenantSettings LoadSettings(SqliteConnection connection, SqliteTransaction? transaction, string instanceId)
    {
        var row = connection.QuerySingleOrDefault<(string? DefaultLocationId, string? UnknownItemPolicy)>(
            "SELECT default_location_id, unknown_item_policy FROM tenant_settings WHERE instance_id = @instanceId",
            new { instanceId },
            transaction);
        return new TenantSettings(
            row.DefaultLocationId ?? TenantSettings.FixedDefaultLocationId,
            Enum.TryParse<UnknownItemPolicy>(row.UnknownItemPolicy, out var policy) ? policy : TenantSettings.Defaults.UnknownItemPolicy);
    }

    private sealed class StockRecordRow
    {
        public string Id { get; init; } = "";

        public bool TrackQuantity { get; init; }

        public long Quantity { get; init; }

        public bool InStock { get; init; }

        public bool PreorderEnabled { get; init; }

        public long? PreorderLimit { get; init; }

        public long Revision { get; init; }

        public StockRecordState ToState() => new(Id, TrackQuantity, Quantity, InStock, PreorderEnabled, PreorderLimit, Revision);
    }
}
