using Dapper;
using InventoryPlugin.Stock;
using Microsoft.Data.Sqlite;

namespace InventoryPlugin.Storage;

/// <summary>Merchant-side changes to stock records. Each writes its ledger entry in the same transaction.</summary>
public sealed class StockRecordStore(StoreWriter writer)
{
    /// <summary>Creates the record, or returns <c>null</c> when a record with that key exists already.</summary>
    /// <remarks>The initial quantity is ledgered as a SET from zero, so a record's quantity always equals the sum of its deltas.</remarks>
    public Task<string?> CreateAsync(NewStockRecord record, Actor actor, CancellationToken cancellationToken) =>
        writer.WriteAsync(context => Create(context, record, actor), cancellationToken);

    private static string? Create(WriteContext context, NewStockRecord record, Actor actor)
    {
        var id = Guid.CreateVersion7().ToString();
        try
        {
            context.Connection.Execute(
                """
                INSERT INTO stock_records (id, instance_id, app_id, catalog_item_id, variant_key, location_id,
                                           track_quantity, quantity, in_stock, preorder_enabled, preorder_limit,
                                           preorder_message, auto_created, revision, created_at, updated_at)
                VALUES (@id, @InstanceId, @AppId, @CatalogItemId, @VariantKey, @LocationId,
                        @TrackQuantity, @Quantity, @InStock, @PreorderEnabled, @PreorderLimit,
                        @PreorderMessage, 0, 1, @now, @now)
                """,
                new
                {
                    id,
                    record.Key.InstanceId,
                    record.Key.AppId,
                    record.Key.CatalogItemId,
                    record.Key.VariantKey,
                    record.Key.LocationId,
                    record.TrackQuantity,
                    record.Quantity,
                    record.InStock,
                    record.PreorderEnabled,
                    record.PreorderLimit,
                    record.PreorderMessage,
                    now = context.NowMs,
                },
                context.Transaction);
        }
        catch (SqliteException exception) when (exception.SqliteExtendedErrorCode == SQLitePCL.raw.SQLITE_CONSTRAINT_UNIQUE)
        {
            return null;
        }

        new LedgerEntryRow
        {
            InstanceId = record.Key.InstanceId,
            RecordId = id,
            Delta = record.Quantity,
            QuantityAfter = record.Quantity,
            Operation = "SET",
            Reason = "CREATED",
            ActorType = actor.Type,
            ActorId = actor.Id,
            CreatedAt = context.NowMs,
        }.Append(context);
        return id;
    }
}
