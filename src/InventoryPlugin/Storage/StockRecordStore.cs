using Dapper;
using InventoryPlugin.Stock;

namespace InventoryPlugin.Storage;

/// <summary>What became of a merchant's change to one record.</summary>
public abstract record RecordOutcome
{
    private RecordOutcome()
    {
    }

    public sealed record Created(StockRecord Record) : RecordOutcome;

    public sealed record Updated(StockRecord Record) : RecordOutcome;

    public sealed record Unchanged(StockRecord Record) : RecordOutcome;

    public sealed record AlreadyExists(string ExistingId) : RecordOutcome;

    public sealed record NotFound : RecordOutcome;

    public sealed record RevisionMismatch(long CurrentRevision) : RecordOutcome;

    public sealed record Refused(RefusalCause Cause, long AvailableQuantity) : RecordOutcome;
}

/// <summary>
/// Merchant-side changes to stock records, each run by the <see cref="StoreWriter"/> and each writing
/// its ledger entry in the same transaction. A record's initial quantity is ledgered as a SET from
/// zero, so its quantity always equals the sum of its deltas.
/// </summary>
public sealed class StockRecordStore(StoreWriter writer)
{
    public Task<RecordOutcome> CreateAsync(NewStockRecord record, Actor actor, CancellationToken cancellationToken) =>
        writer.WriteAsync(context => Create(context, record, actor), cancellationToken);

    public Task<RecordOutcome> ChangeAsync(string instanceId, string id, long expectedRevision, StockSettingsChange change, Actor actor, CancellationToken cancellationToken) =>
        writer.WriteAsync<RecordOutcome>(
            context => StockRecordQueries.Get(context.Connection, context.Transaction, instanceId, id) switch
            {
                null => new RecordOutcome.NotFound(),
                { Revision: var revision } when revision != expectedRevision => new RecordOutcome.RevisionMismatch(revision),
                var current => ApplySettings(context, current, change, actor),
            },
            cancellationToken);

    public Task<bool> DeleteAsync(string instanceId, string id, CancellationToken cancellationToken) =>
        writer.WriteAsync(
            context => context.Connection.Execute(
                "DELETE FROM stock_records WHERE instance_id = @instanceId AND id = @id", new { instanceId, id }, context.Transaction) == 1,
            cancellationToken);

    /// <summary>Adds <paramref name="delta"/>; with <paramref name="restrict"/>, a decrease may not pass the record's floor.</summary>
    public Task<RecordOutcome> AdjustAsync(string instanceId, string id, long delta, string? reason, bool restrict, Actor actor, CancellationToken cancellationToken) =>
        writer.WriteAsync<RecordOutcome>(
            context =>
            {
                var current = StockRecordQueries.Get(context.Connection, context.Transaction, instanceId, id);
                if (current is null)
                {
                    return new RecordOutcome.NotFound();
                }

                if (restrict && delta < 0 && StockRules.JudgeDecrement(current.State, -delta, UnknownItemPolicy.Reject) is { Allowed: false } verdict)
                {
                    return new RecordOutcome.Refused(verdict.Cause, verdict.AvailableQuantity);
                }

                return new RecordOutcome.Updated(Write(context, current, current.TrackQuantity, current.Quantity + delta, current.InStock, current.Preorder,
                    Ledger(current, delta, "ADJUST", reason, actor, restrict, context)));
            },
            cancellationToken);

    /// <summary>
    /// Creates or updates every row by its key in one transaction. Rows are already validated;
    /// each row's outcome is reported in order.
    /// </summary>
    public Task<IReadOnlyList<RecordOutcome>> UpsertAsync(IReadOnlyList<NewStockRecord> rows, Actor actor, CancellationToken cancellationToken) =>
        writer.WriteAsync<IReadOnlyList<RecordOutcome>>(
            context => rows.Select(row => StockRecordQueries.FindRecordByKey(context.Connection, context.Transaction, row.Key) is { } current
                    ? ApplySettings(context, current, new StockSettingsChange(
                        row.TrackQuantity,
                        row.TrackQuantity ? row.Quantity : null,
                        row.TrackQuantity ? null : row.InStock,
                        row.Preorder ?? PreorderSettings.Off), actor)
                    : Create(context, row, actor))
                .ToList(),
            cancellationToken);

    public Task SaveSettingsAsync(string instanceId, TenantSettings settings, CancellationToken cancellationToken) =>
        writer.WriteAsync(
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

    private static RecordOutcome Create(WriteContext context, NewStockRecord record, Actor actor)
    {
        if (StockRecordQueries.FindRecordByKey(context.Connection, context.Transaction, record.Key) is { } existing)
        {
            return new RecordOutcome.AlreadyExists(existing.Id);
        }

        var id = Guid.CreateVersion7().ToString();
        var preorder = record.Preorder ?? PreorderSettings.Off;
        context.Connection.Execute(
            """
            INSERT INTO stock_records (id, instance_id, app_id, catalog_item_id, variant_key, location_id,
                                       track_quantity, quantity, in_stock, preorder_enabled, preorder_limit,
                                       preorder_message, auto_created, revision, created_at, updated_at)
            VALUES (@id, @InstanceId, @AppId, @CatalogItemId, @VariantKey, @LocationId,
                    @trackQuantity, @quantity, @inStock, @preorderEnabled, @preorderLimit,
                    @preorderMessage, 0, 1, @now, @now)
            """,
            new
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
                now = context.NowMs,
            },
            context.Transaction);
        var created = StockRecordQueries.Get(context.Connection, context.Transaction, record.Key.InstanceId, id)!;
        (Ledger(created, record.Quantity, "SET", "CREATED", actor, null, context) with { QuantityAfter = created.Quantity }).Append(context);
        return new RecordOutcome.Created(created);
    }

    private static RecordOutcome ApplySettings(WriteContext context, StockRecord current, StockSettingsChange change, Actor actor)
    {
        var trackQuantity = change.TrackQuantity ?? current.TrackQuantity;
        var quantity = change.Quantity ?? current.Quantity;
        var inStock = change.InStock ?? current.InStock;
        var preorder = change.Preorder ?? current.Preorder;
        if (trackQuantity == current.TrackQuantity && quantity == current.Quantity && inStock == current.InStock && preorder == current.Preorder)
        {
            return new RecordOutcome.Unchanged(current);
        }

        return new RecordOutcome.Updated(Write(context, current, trackQuantity, quantity, inStock, preorder,
            Ledger(current, quantity - current.Quantity, "SET", null, actor, null, context)));
    }

    /// <summary>Writes the new state, guarded by the revision it was computed from, and its ledger entry.</summary>
    private static StockRecord Write(WriteContext context, StockRecord current, bool trackQuantity, long quantity, bool inStock, PreorderSettings preorder, LedgerEntryRow entry)
    {
        var rows = context.Connection.Execute(
            """
            UPDATE stock_records
            SET track_quantity = @trackQuantity, quantity = @quantity, in_stock = @inStock,
                preorder_enabled = @preorderEnabled, preorder_limit = @preorderLimit, preorder_message = @preorderMessage,
                revision = revision + 1, updated_at = @now
            WHERE id = @id AND revision = @revision
            """,
            new
            {
                id = current.Id,
                revision = current.Revision,
                trackQuantity,
                quantity,
                inStock,
                preorderEnabled = preorder.Enabled,
                preorderLimit = preorder.Limit,
                preorderMessage = preorder.Message,
                now = context.NowMs,
            },
            context.Transaction);
        if (rows != 1)
        {
            throw new InvalidOperationException($"Stock record {current.Id} changed while it was being written; the change was rolled back.");
        }

        (entry with { QuantityAfter = quantity }).Append(context);
        return StockRecordQueries.Get(context.Connection, context.Transaction, current.Key.InstanceId, current.Id)!;
    }

    private static LedgerEntryRow Ledger(StockRecord record, long delta, string operation, string? reason, Actor actor, bool? restrict, WriteContext context) => new()
    {
        InstanceId = record.Key.InstanceId,
        RecordId = record.Id,
        Delta = delta,
        QuantityAfter = record.Quantity + delta,
        Operation = operation,
        Reason = reason,
        ActorType = actor.Type,
        ActorId = actor.Id,
        RestrictFlag = restrict,
        CreatedAt = context.NowMs,
    };
}
