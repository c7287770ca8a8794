using Dapper;
using InventoryPlugin.Stock;

namespace InventoryPlugin.Storage.Sqlite;

/// <summary>
/// Merchant-side changes to stock records, each writing its ledger entry in the same transaction. A
/// record's initial quantity is ledgered as a SET from zero, so its quantity always equals the sum of its deltas.
/// </summary>
public sealed partial class SqliteStockStore
{
    public Task<RecordOutcome> CreateAsync(NewStockRecord record, Actor actor, CancellationToken cancellationToken) =>
        WriteAsync(context => Create(context, record, actor), cancellationToken);

    public Task<RecordOutcome> ChangeAsync(string instanceId, string id, long expectedRevision, StockSettingsChange change, Actor actor, CancellationToken cancellationToken) =>
        WriteAsync<RecordOutcome>(
            context => StockRecordQueries.Get(context.Connection, context.Transaction, instanceId, id, context.NowMs) switch
            {
                null => new RecordOutcome.NotFound(),
                { Revision: var revision } when revision != expectedRevision => new RecordOutcome.RevisionMismatch(revision),
                var current => ApplyEdit(context, current, change, actor),
            },
            cancellationToken);

    public Task<bool> DeleteAsync(string instanceId, string id, CancellationToken cancellationToken) =>
        WriteAsync(
            context => context.Connection.Execute(
                "DELETE FROM stock_records WHERE instance_id = @instanceId AND id = @id", new { instanceId, id }, context.Transaction) == 1,
            cancellationToken);

    public Task<RecordOutcome> AdjustAsync(string instanceId, string id, long delta, string? reason, bool restrict, Actor actor, CancellationToken cancellationToken) =>
        WriteAsync<RecordOutcome>(
            context =>
            {
                var current = StockRecordQueries.Get(context.Connection, context.Transaction, instanceId, id, context.NowMs);
                if (current is null)
                {
                    return new RecordOutcome.NotFound();
                }

                if (RecordEdits.JudgeAdjustment(current, delta, restrict) is { } refused)
                {
                    return refused;
                }

                var edit = RecordEdit.Of(current) with { Quantity = current.Quantity + delta };
                return new RecordOutcome.Updated(Write(context, current, edit,
                    LedgerEntry.ForMerchantChange(current, delta, StockOperation.Adjust, reason, actor, restrict, context.NowMs)));
            },
            cancellationToken);

    public Task<IReadOnlyList<RecordOutcome>> UpsertAsync(IReadOnlyList<NewStockRecord> rows, Actor actor, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<RecordOutcome>>(
            context => rows.Select(row => StockRecordQueries.FindRecordByKey(context.Connection, context.Transaction, row.Key, context.NowMs) is { } current
                    ? ApplyEdit(context, current, RecordEdits.Replacing(row), actor)
                    : Create(context, row, actor))
                .ToList(),
            cancellationToken);

    public Task SaveSettingsAsync(string instanceId, TenantSettings settings, CancellationToken cancellationToken) =>
        WriteAsync(
            context => context.Connection.Execute(
                """
                INSERT INTO tenant_settings (instance_id, default_location_id, unknown_item_policy, revision, updated_at)
                VALUES (@instanceId, @defaultLocationId, @unknownItemPolicy, 1, @now)
                ON CONFLICT (instance_id) DO UPDATE SET
                    default_location_id = excluded.default_location_id,
                    unknown_item_policy = excluded.unknown_item_policy,
                    revision = revision + 1,
                    updated_at = excluded.updated_at
                """,
                new { instanceId, defaultLocationId = settings.DefaultLocationId, unknownItemPolicy = settings.UnknownItemPolicy.ToString(), now = context.NowMs },
                context.Transaction),
            cancellationToken);

    public Task<int> PruneIdempotencyAsync(long cutoffMs, CancellationToken cancellationToken) =>
        WriteAsync(
            context => context.Connection.Execute("DELETE FROM idempotency WHERE created_at < @cutoffMs", new { cutoffMs }, context.Transaction),
            cancellationToken);

    private static RecordOutcome Create(WriteContext context, NewStockRecord record, Actor actor)
    {
        if (StockRecordQueries.FindRecordByKey(context.Connection, context.Transaction, record.Key, context.NowMs) is { } existing)
        {
            return new RecordOutcome.AlreadyExists(existing.Id);
        }

        var id = Guid.CreateVersion7().ToString();
        context.Connection.Execute(
            """
            INSERT INTO stock_records (id, instance_id, app_id, catalog_item_id, variant_key, location_id,
                                       track_quantity, quantity, in_stock, preorder_enabled, preorder_limit,
                                       preorder_message, low_stock_threshold, stock_level, auto_created, revision, created_at, updated_at)
            VALUES (@id, @InstanceId, @AppId, @CatalogItemId, @VariantKey, @LocationId,
                    @trackQuantity, @quantity, @inStock, @preorderEnabled, @preorderLimit,
                    @preorderMessage, @lowStockThreshold, @stockLevel, 0, 1, @now, @now)
            """,
            StockRecordParameters.ForInsert(id, record, context.NowMs),
            context.Transaction);
        var created = StockRecordQueries.Get(context.Connection, context.Transaction, record.Key.InstanceId, id, context.NowMs)!;
        (LedgerEntry.ForMerchantChange(created, record.Quantity, StockOperation.Set, "CREATED", actor, null, context.NowMs) with { QuantityAfter = created.Quantity })
            .Append(context);
        return new RecordOutcome.Created(created);
    }

    private static RecordOutcome ApplyEdit(WriteContext context, StockRecord current, StockSettingsChange change, Actor actor) =>
        RecordEdits.Apply(current, change) is { } edit
            ? new RecordOutcome.Updated(Write(context, current, edit,
                LedgerEntry.ForMerchantChange(current, edit.Quantity - current.Quantity, StockOperation.Set, null, actor, null, context.NowMs)))
            : new RecordOutcome.Unchanged(current);

    /// <summary>Writes the new state, guarded by the revision it was computed from, and its ledger entry.</summary>
    private static StockRecord Write(WriteContext context, StockRecord current, RecordEdit edit, LedgerEntry entry)
    {
        var rows = context.Connection.Execute(
            """
            UPDATE stock_records
            SET track_quantity = @trackQuantity, quantity = @quantity, in_stock = @inStock,
                preorder_enabled = @preorderEnabled, preorder_limit = @preorderLimit, preorder_message = @preorderMessage,
                low_stock_threshold = @lowStockThreshold, revision = revision + 1, updated_at = @now
            WHERE id = @id AND revision = @revision
            """,
            StockRecordParameters.ForEdit(current, edit, context.NowMs),
            context.Transaction);
        if (rows != 1)
        {
            throw new InvalidOperationException($"Stock record {current.Id} changed while it was being written; the change was rolled back.");
        }

        (entry with { QuantityAfter = edit.Quantity }).Append(context);
        return StockRecordQueries.Get(context.Connection, context.Transaction, current.Key.InstanceId, current.Id, context.NowMs)!;
    }
}
