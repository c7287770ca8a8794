using Dapper;
using InventoryPlugin.Stock;
using Microsoft.Data.Sqlite;

namespace InventoryPlugin.Storage.Sqlite;

/// <summary>Reads of stock records and tenant settings, shared by the writer's transactions and by plain reads.</summary>
public static class StockRecordQueries
{
    private const string SettingsSql = "SELECT default_location_id, unknown_item_policy FROM tenant_settings WHERE instance_id = @instanceId";

    /// <summary>
    /// The judged part of a record (<see cref="StockRecord.State"/>), read inside the writer's
    /// transaction through a prepared statement: the platform endpoints' hot path.
    /// </summary>
    public static StockRecordState? FindStateByKey(WriteContext context, StockKey key)
    {
        using var row = context.Prepared(
            $"""
            SELECT id, track_quantity, quantity, in_stock, preorder_enabled, preorder_limit, revision, {StockRecordRow.AllocatedSql("stock_records.id")},
                   low_stock_threshold, stock_level
            FROM stock_records WHERE {StockRecordRow.KeyCondition}
            """,
            ("@InstanceId", key.InstanceId), ("@AppId", key.AppId), ("@CatalogItemId", key.CatalogItemId),
            ("@VariantKey", key.VariantKey), ("@LocationId", key.LocationId), ("@now", context.NowMs));
        return row.Read()
            ? new StockRecordState(
                row.GetString(0),
                row.GetInt64(1) != 0,
                row.GetInt64(2),
                row.GetInt64(3) != 0,
                row.GetInt64(4) != 0,
                row.IsNull(5) ? null : row.GetInt64(5),
                row.GetInt64(6),
                row.GetInt64(7),
                row.IsNull(8) ? null : row.GetInt64(8),
                StockLevels.Parse(row.GetString(9)) ?? StockLevel.Ok)
            : null;
    }

    public static StockRecord? FindRecordByKey(SqliteConnection connection, SqliteTransaction? transaction, StockKey key, long now) =>
        connection.QuerySingleOrDefault<StockRecordRow>(
            $"SELECT {StockRecordRow.Columns} FROM stock_records WHERE {StockRecordRow.KeyCondition}",
            StockRecordRow.KeyParameters(key, now),
            transaction)?.ToRecord();

    /// <summary>A record by id, only within its tenant: an id from another tenant is simply not found.</summary>
    public static StockRecord? Get(SqliteConnection connection, SqliteTransaction? transaction, string instanceId, string id, long now) =>
        connection.QuerySingleOrDefault<StockRecordRow>(
            $"SELECT {StockRecordRow.Columns} FROM stock_records WHERE instance_id = @instanceId AND id = @id",
            new { instanceId, id, now },
            transaction)?.ToRecord();

    /// <summary>
    /// One page of a tenant's records in id order, after <paramref name="afterId"/>. Keyset paging:
    /// records added while a client pages never make it see a record twice or miss one that existed.
    /// </summary>
    public static List<StockRecord> Page(SqliteConnection connection, string instanceId, StockRecordFilter filter, string? afterId, int limit, long now) =>
        connection.Query<StockRecordRow>(
            $"""
            SELECT {StockRecordRow.Columns} FROM stock_records
            WHERE instance_id = @instanceId
              AND (@afterId IS NULL OR id > @afterId)
              AND (@appId IS NULL OR app_id = @appId)
              AND (@catalogItemId IS NULL OR catalog_item_id = @catalogItemId)
              AND (@locationId IS NULL OR location_id = @locationId)
            ORDER BY id
            LIMIT @limit
            """,
            new { instanceId, afterId, appId = filter.AppId, catalogItemId = filter.CatalogItemId, locationId = filter.LocationId, limit, now })
            .Select(r => r.ToRecord())
            .ToList();

    public static TenantSettings LoadSettings(SqliteConnection connection, SqliteTransaction? transaction, string instanceId)
    {
        var row = connection.QuerySingleOrDefault<(string? DefaultLocationId, string? UnknownItemPolicy)>(SettingsSql, new { instanceId }, transaction);
        return TenantSettings.FromStored(row.DefaultLocationId, row.UnknownItemPolicy);
    }

    /// <summary>The same read inside the writer's transaction, through a prepared statement.</summary>
    public static TenantSettings LoadSettings(WriteContext context, string instanceId)
    {
        using var row = context.Prepared(SettingsSql, ("@instanceId", instanceId));
        return row.Read()
            ? TenantSettings.FromStored(row.GetNullableString(0), row.GetNullableString(1))
            : TenantSettings.Defaults;
    }
}
