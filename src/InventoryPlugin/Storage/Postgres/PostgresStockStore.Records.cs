using Dapper;
using InventoryPlugin.Stock;
using Npgsql;

namespace InventoryPlugin.Storage.Postgres;

/// <summary>
/// Merchant-side changes, each one transaction that locks the rows it changes (several in key order,
/// like the platform path) and writes their ledger entries with them.
/// </summary>
public sealed partial class PostgresStockStore
{

    public Task<RecordOutcome> CreateAsync(NewStockRecord record, Actor actor, CancellationToken cancellationToken) =>
        InTransactionAsync<RecordOutcome>(async (connection, transaction, now) =>
            await CreateAsync(connection, transaction, record, actor, now).ConfigureAwait(false) is { } created
                ? new RecordOutcome.Created(created)
                : new RecordOutcome.AlreadyExists(await connection.ExecuteScalarAsync<string>(
                    $"SELECT id FROM stock_records WHERE {StockRecordRow.KeyCondition}", StockRecordRow.KeyParameters(record.Key, now), transaction).ConfigureAwait(false) ?? ""),
            cancellationToken);

    public Task<RecordOutcome> ChangeAsync(string instanceId, string id, long expectedRevision, StockSettingsChange change, Actor actor, CancellationToken cancellationToken) =>
        InTransactionAsync(async (connection, transaction, now) =>
            await LockAsync(connection, transaction, instanceId, id, now).ConfigureAwait(false) switch
            {
                null => new RecordOutcome.NotFound(),
                { Revision: var revision } when revision != expectedRevision => new RecordOutcome.RevisionMismatch(revision),
                var current => await ApplyEditAsync(connection, transaction, current, change, actor, now).ConfigureAwait(false),
            },
            cancellationToken);

    public Task<bool> DeleteAsync(string instanceId, string id, CancellationToken cancellationToken) =>
        InTransactionAsync(async (connection, transaction, _) =>
            await connection.ExecuteAsync("DELETE FROM stock_records WHERE instance_id = @instanceId AND id = @id", new { instanceId, id }, transaction)
                .ConfigureAwait(false) == 1,
            cancellationToken);

    public Task<RecordOutcome> AdjustAsync(string instanceId, string id, long delta, string? reason, bool restrict, Actor actor, CancellationToken cancellationToken) =>
        InTransactionAsync<RecordOutcome>(async (connection, transaction, now) =>
            {
                var current = await LockAsync(connection, transaction, instanceId, id, now).ConfigureAwait(false);
                if (current is null)
                {
                    return new RecordOutcome.NotFound();
                }

                if (RecordEdits.JudgeAdjustment(current, delta, restrict) is { } refused)
                {
                    return refused;
                }

                var edit = RecordEdit.Of(current) with { Quantity = current.Quantity + delta };
                return new RecordOutcome.Updated(await WriteAsync(connection, transaction, current, edit,
                    LedgerEntry.ForMerchantChange(current, delta, StockOperation.Adjust, reason, actor, restrict, now)).ConfigureAwait(false));
            },
            cancellationToken);

    public Task<IReadOnlyList<RecordOutcome>> UpsertAsync(IReadOnlyList<NewStockRecord> rows, Actor actor, CancellationToken cancellationToken) =>
        InTransactionAsync<IReadOnlyList<RecordOutcome>>(async (connection, transaction, now) =>
            {
                // Every existing row of the batch is locked first, in key order, so two bulk upserts never deadlock.
                var existing = new Dictionary<StockKey, StockRecord>();
                foreach (var tenantRows in rows.GroupBy(r => r.Key.InstanceId))
                {
                    var locked = await connection.QueryAsync<StockRecordRow>(
                        $"""
                        SELECT {StockRecordRow.Columns} FROM stock_records
                        JOIN unnest(@appIds, @catalogItemIds, @variantKeys, @locationIds) AS k(app_id, catalog_item_id, variant_key, location_id)
                          USING (app_id, catalog_item_id, variant_key, location_id)
                        WHERE stock_records.instance_id = @instanceId
                        ORDER BY app_id, catalog_item_id, variant_key, location_id
                        FOR UPDATE OF stock_records
                        """,
                        new
                        {
                            instanceId = tenantRows.Key,
                            appIds = tenantRows.Select(r => r.Key.AppId).ToArray(),
                            catalogItemIds = tenantRows.Select(r => r.Key.CatalogItemId).ToArray(),
                            variantKeys = tenantRows.Select(r => r.Key.VariantKey).ToArray(),
                            locationIds = tenantRows.Select(r => r.Key.LocationId).ToArray(),
                            now,
                        },
                        transaction).ConfigureAwait(false);
                    foreach (var row in locked)
                    {
                        var record = row.ToRecord();
                        existing[record.Key] = record;
                    }
                }

                // The rows are then written in key order too: a new record's insert waits for another
                // transaction inserting the same key, so two imports creating the same records in the
                // orders their files list them could otherwise deadlock.
                var outcomes = new RecordOutcome[rows.Count];
                foreach (var index in await KeyOrderAsync(connection, transaction, rows).ConfigureAwait(false))
                {
                    var row = rows[index];
                    if (!existing.TryGetValue(row.Key, out var current)
                        && await CreateAsync(connection, transaction, row, actor, now).ConfigureAwait(false) is { } created)
                    {
                        existing[row.Key] = created;
                        outcomes[index] = new RecordOutcome.Created(created);
                        continue;
                    }

                    // Created by another replica since the rows were locked: lock it now and update it.
                    current ??= (await connection.QuerySingleAsync<StockRecordRow>(
                        $"SELECT {StockRecordRow.Columns} FROM stock_records WHERE {StockRecordRow.KeyCondition} FOR UPDATE", StockRecordRow.KeyParameters(row.Key, now), transaction)
                        .ConfigureAwait(false)).ToRecord();
                    var outcome = await ApplyEditAsync(connection, transaction, current, RecordEdits.Replacing(row), actor, now).ConfigureAwait(false);
                    existing[row.Key] = outcome switch
                    {
                        RecordOutcome.Updated updated => updated.Record,
                        _ => current,
                    };
                    outcomes[index] = outcome;
                }

                return outcomes;
            },
            cancellationToken);

    /// <summary>
    /// The rows' positions sorted by key as the database sorts it (its collation, as the locking
    /// statements use), rows of one key kept in the order given.
    /// </summary>
    private static async Task<IEnumerable<int>> KeyOrderAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<NewStockRecord> rows) =>
        await connection.QueryAsync<int>(
            """
            SELECT (ord - 1)::int FROM unnest(@instanceIds, @appIds, @catalogItemIds, @variantKeys, @locationIds) WITH ORDINALITY
                AS k(instance_id, app_id, catalog_item_id, variant_key, location_id, ord)
            ORDER BY instance_id, app_id, catalog_item_id, variant_key, location_id, ord
            """,
            new
            {
                instanceIds = rows.Select(r => r.Key.InstanceId).ToArray(),
                appIds = rows.Select(r => r.Key.AppId).ToArray(),
                catalogItemIds = rows.Select(r => r.Key.CatalogItemId).ToArray(),
                variantKeys = rows.Select(r => r.Key.VariantKey).ToArray(),
                locationIds = rows.Select(r => r.Key.LocationId).ToArray(),
            },
            transaction).ConfigureAwait(false);

    public Task SaveSettingsAsync(string instanceId, TenantSettings settings, CancellationToken cancellationToken) =>
        InTransactionAsync((connection, transaction, now) => connection.ExecuteAsync(
                """
                INSERT INTO tenant_settings (instance_id, default_location_id, unknown_item_policy, revision, updated_at)
                VALUES (@instanceId, @defaultLocationId, @unknownItemPolicy, 1, @now)
                ON CONFLICT (instance_id) DO UPDATE SET
                    default_location_id = excluded.default_location_id,
                    unknown_item_policy = excluded.unknown_item_policy,
                    revision = tenant_settings.revision + 1,
                    updated_at = excluded.updated_at
                """,
                new { instanceId, defaultLocationId = settings.DefaultLocationId, unknownItemPolicy = settings.UnknownItemPolicy.ToString(), now },
                transaction),
            cancellationToken);

    /// <summary>Prunes under a transaction-scoped advisory lock: one replica at a time prunes, the others skip.</summary>
    public Task<int> PruneIdempotencyAsync(long cutoffMs, CancellationToken cancellationToken) =>
        InTransactionAsync(async (connection, transaction, _) =>
            await connection.ExecuteScalarAsync<bool>("SELECT pg_try_advisory_xact_lock(@PruneLock)", new { PruneLock }, transaction).ConfigureAwait(false)
                ? await connection.ExecuteAsync("DELETE FROM idempotency WHERE created_at < @cutoffMs", new { cutoffMs }, transaction).ConfigureAwait(false)
                : 0,
            cancellationToken);

    /// <summary>The advisory lock key of idempotency pruning (any constant the application owns).</summary>
    private const long PruneLock = 0x496e76_5072756e; // "InvPrun"

    private Task<T> InTransactionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, long, Task<T>> work, CancellationToken cancellationToken) =>
        RunAsync(async (connection, _) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            PostgresStockEvents.Begin(transaction);
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var result = await work(connection, transaction, now).ConfigureAwait(false);
            await PostgresStockEvents.SettleAsync(connection, transaction, now).ConfigureAwait(false);
            await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            return result;
        }, cancellationToken);

    /// <summary>
    /// Locks the record, then reads it in a statement of its own: read committed gives that statement a
    /// snapshot taken after the lock was granted, so the units held by allocations committed meanwhile count.
    /// </summary>
    private static async Task<StockRecord?> LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string instanceId, string id, long now)
    {
        await connection.ExecuteAsync("SELECT 1 FROM stock_records WHERE instance_id = @instanceId AND id = @id FOR UPDATE", new { instanceId, id }, transaction)
            .ConfigureAwait(false);
        return (await connection.QuerySingleOrDefaultAsync<StockRecordRow>(
            $"SELECT {StockRecordRow.Columns} FROM stock_records WHERE instance_id = @instanceId AND id = @id", new { instanceId, id, now }, transaction)
            .ConfigureAwait(false))?.ToRecord();
    }

    /// <summary>Inserts the record and its SET-from-zero ledger entry; null when a record with its key exists.</summary>
    private static async Task<StockRecord?> CreateAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, NewStockRecord record, Actor actor, long now)
    {
        var row = await connection.QuerySingleOrDefaultAsync<StockRecordRow>(
            $"""
            INSERT INTO stock_records (id, instance_id, app_id, catalog_item_id, variant_key, location_id,
                                       track_quantity, quantity, in_stock, preorder_enabled, preorder_limit,
                                       preorder_message, low_stock_threshold, stock_level, auto_created, revision, created_at, updated_at)
            VALUES (@id, @InstanceId, @AppId, @CatalogItemId, @VariantKey, @LocationId,
                    @trackQuantity, @quantity, @inStock, @preorderEnabled, @preorderLimit,
                    @preorderMessage, @lowStockThreshold, @stockLevel, false, 1, @now, @now)
            ON CONFLICT ON CONSTRAINT stock_records_key DO NOTHING
            RETURNING {StockRecordRow.Columns}
            """,
            StockRecordParameters.ForInsert(Guid.CreateVersion7().ToString(), record, now),
            transaction).ConfigureAwait(false);
        if (row is null)
        {
            return null;
        }

        var created = row.ToRecord();
        await AppendAsync(connection, transaction,
            LedgerEntry.ForMerchantChange(created, record.Quantity, StockOperation.Set, "CREATED", actor, null, now) with { QuantityAfter = created.Quantity })
            .ConfigureAwait(false);
        return created;
    }

    private static async Task<RecordOutcome> ApplyEditAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, StockRecord current, StockSettingsChange change, Actor actor, long now) =>
        RecordEdits.Apply(current, change) is { } edit
            ? new RecordOutcome.Updated(await WriteAsync(connection, transaction, current, edit,
                LedgerEntry.ForMerchantChange(current, edit.Quantity - current.Quantity, StockOperation.Set, null, actor, null, now)).ConfigureAwait(false))
            : new RecordOutcome.Unchanged(current);

    /// <summary>Writes the new state of a locked record and its ledger entry.</summary>
    private static async Task<StockRecord> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, StockRecord current, RecordEdit edit, LedgerEntry entry)
    {
        var row = await connection.QuerySingleOrDefaultAsync<StockRecordRow>(
            $"""
            UPDATE stock_records
            SET track_quantity = @trackQuantity, quantity = @quantity, in_stock = @inStock,
                preorder_enabled = @preorderEnabled, preorder_limit = @preorderLimit, preorder_message = @preorderMessage,
                low_stock_threshold = @lowStockThreshold, revision = revision + 1, updated_at = @now
            WHERE id = @id AND revision = @revision
            RETURNING {StockRecordRow.Columns}
            """,
            StockRecordParameters.ForEdit(current, edit, entry.CreatedAt),
            transaction).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Stock record {current.Id} changed while it was being written; the change was rolled back.");
        await AppendAsync(connection, transaction, entry with { QuantityAfter = edit.Quantity }).ConfigureAwait(false);
        return row.ToRecord();
    }

    internal static Task<int> AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, LedgerEntry entry)
    {
        PostgresStockEvents.Saw(transaction, entry);
        return connection.ExecuteAsync(
            """
            INSERT INTO ledger (instance_id, record_id, delta, quantity_after, operation, reason, order_id,
                                request_id, actor_type, actor_id, restrict_flag, created_at, allocated_delta, allocation_id)
            VALUES (@InstanceId, @RecordId, @Delta, @QuantityAfter, @Operation, @Reason, @OrderId,
                    @RequestId, @ActorType, @ActorId, @RestrictFlag, @CreatedAt, @AllocatedDelta, @AllocationId)
            """,
            new
            {
                entry.InstanceId,
                entry.RecordId,
                entry.Delta,
                entry.QuantityAfter,
                Operation = LedgerEntry.OperationName(entry.Operation),
                entry.Reason,
                entry.OrderId,
                entry.RequestId,
                entry.ActorType,
                entry.ActorId,
                entry.RestrictFlag,
                entry.CreatedAt,
                entry.AllocatedDelta,
                entry.AllocationId,
            },
            transaction);
    }
}
