using Dapper;
using InventoryPlugin.Stock;
using Npgsql;

namespace InventoryPlugin.Storage.Postgres;

/// <summary>
/// Allocations (holds). Locks are taken in one order everywhere: the records (in key order), then the
/// allocation rows, so a hold, its commit, the sweep and a platform decrement never deadlock.
/// </summary>
public sealed partial class PostgresStockStore
{
    private static readonly Actor Sweep = new("SWEEP", null);

    private const string LockRecordsById = """
        SELECT 1 FROM stock_records WHERE id = ANY(@recordIds)
        ORDER BY app_id, catalog_item_id, variant_key, location_id
        FOR UPDATE
        """;

    public async Task<AllocationOutcome> AllocateAsync(AllocationRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await TryAllocateAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException exception) when (exception is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "allocations_by_key" })
        {
            // A twin with the same idempotency key committed first: this call now replays it.
            return await TryAllocateAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }

    private Task<AllocationOutcome> TryAllocateAsync(AllocationRequest request, CancellationToken cancellationToken) =>
        InTransactionAsync<AllocationOutcome>(async (connection, transaction, now) =>
        {
            var demands = StockChangePlan.SumPerRecord(request.Lines);
            var (records, _) = await LockRecordsAsync(connection, transaction, request.InstanceId, demands, now, cancellationToken).ConfigureAwait(false);
            // Looked up once the records are locked: a twin with the same key holding them has committed by
            // then, and its hold must be replayed, not counted against this call's own lines.
            if (request.IdempotencyKey is not null && await ByKeyAsync(connection, transaction, request).ConfigureAwait(false) is { } earlier)
            {
                return new AllocationOutcome.Created(earlier, Replayed: true);
            }

            if (AllocationRules.Judge(demands, records) is { Count: > 0 } refused)
            {
                return new AllocationOutcome.Refused(refused);
            }

            var allocation = new Allocation(
                Guid.CreateVersion7().ToString(), request.InstanceId, AllocationStatus.Open, request.OrderId, request.IdempotencyKey,
                now + (request.TtlSeconds * 1000), now, null,
                demands.Select((d, i) => new AllocationItem(records[i]!.Id, d.Key.LocationId, d.CatalogReferenceJson, d.Quantity)).ToList());
            // The idempotency key is unique: a concurrent twin waits here, then fails and is retried as a replay.
            await connection.ExecuteAsync(AllocationRows.Insert, allocation, transaction).ConfigureAwait(false);
            for (var i = 0; i < demands.Count; i++)
            {
                var item = allocation.Items[i];
                await connection.ExecuteAsync(AllocationRows.InsertItem, new { allocationId = allocation.Id, item.RecordId, item.Quantity, item.CatalogReferenceJson }, transaction)
                    .ConfigureAwait(false);
                await AppendAsync(connection, transaction,
                    LedgerEntry.ForAllocation(allocation, item, StockOperation.Allocate, 0, item.Quantity, records[i]!.Quantity, request.Actor, now)).ConfigureAwait(false);
            }

            return new AllocationOutcome.Created(allocation, Replayed: false);
        }, cancellationToken);

    public Task<AllocationOutcome> CommitAllocationAsync(string instanceId, string id, Actor actor, CancellationToken cancellationToken) =>
        InTransactionAsync((connection, transaction, now) => CloseAsync(connection, transaction, instanceId, id, AllocationStatus.Committed, actor, now), cancellationToken);

    public Task<AllocationOutcome> ReleaseAllocationAsync(string instanceId, string id, Actor actor, CancellationToken cancellationToken) =>
        InTransactionAsync((connection, transaction, now) => CloseAsync(connection, transaction, instanceId, id, AllocationStatus.Released, actor, now), cancellationToken);

    /// <summary>
    /// Each due allocation expires in a transaction of its own, which locks only that allocation's records,
    /// in key order like every other path: one transaction for all of them would lock record after record
    /// out of that order (a deadlock with a platform decrement of the same records) and hold busy records
    /// until the whole sweep commits.
    /// </summary>
    public async Task<int> ExpireAllocationsAsync(int max, CancellationToken cancellationToken)
    {
        var due = await database.RunAsync(async connection =>
                (await connection.QueryAsync<(string Id, string InstanceId)>(AllocationRows.Due, new { now = clock.GetUtcNow().ToUnixTimeMilliseconds(), max })
                    .ConfigureAwait(false)).ToList(),
            cancellationToken).ConfigureAwait(false);
        var expired = 0;
        foreach (var (id, instanceId) in due)
        {
            expired += await InTransactionAsync(async (connection, transaction, now) =>
            {
                // Another replica's sweep (or a release) may close it first; then there is nothing left to do.
                if (await LockOpenAsync(connection, transaction, instanceId, id).ConfigureAwait(false) is not { Status: AllocationStatus.Open } allocation)
                {
                    return 0;
                }

                await FinishAsync(connection, transaction, allocation, AllocationStatus.Expired, Sweep, now).ConfigureAwait(false);
                return 1;
            }, cancellationToken).ConfigureAwait(false);
        }

        return expired;
    }

    private static async Task<AllocationOutcome> CloseAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string instanceId, string id, AllocationStatus wanted, Actor actor, long now)
    {
        if (await LockOpenAsync(connection, transaction, instanceId, id).ConfigureAwait(false) is not { } allocation)
        {
            return new AllocationOutcome.NotFound();
        }

        return AllocationRules.OnClose(allocation, wanted, now) switch
        {
            CloseDecision.Finish finish =>
                new AllocationOutcome.Closed(await FinishAsync(connection, transaction, allocation, finish.As, actor, now).ConfigureAwait(false), Replayed: false),
            CloseDecision.Replay => new AllocationOutcome.Closed(allocation, Replayed: true),
            CloseDecision.Conflict conflict => new AllocationOutcome.Conflict(allocation with { Status = conflict.Seen }),
            _ => throw new InvalidOperationException("Unknown decision."),
        };
    }

    /// <summary>The allocation with its records and then its own row locked (in that order), as it is once the locks are held.</summary>
    private static async Task<Allocation?> LockOpenAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string instanceId, string id)
    {
        var items = (await connection.QueryAsync<AllocationRows.ItemRow>(AllocationRows.Items, new { id }, transaction).ConfigureAwait(false)).ToList();
        await connection.ExecuteAsync(LockRecordsById, new { recordIds = items.Select(i => i.RecordId).ToArray() }, transaction).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<AllocationRows.Row>(AllocationRows.ById + " FOR UPDATE", new { instanceId, id }, transaction)
            .ConfigureAwait(false);
        return row?.ToAllocation(items.Select(i => i.ToItem()));
    }

    /// <summary>
    /// Closes a locked open allocation as <paramref name="status"/>. A merchant's commit takes its units off
    /// the records' quantities; one consumed by its order's platform decrement (<paramref name="takeUnits"/>
    /// false) only stops holding them, since that decrement takes them.
    /// </summary>
    private static async Task<Allocation> FinishAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Allocation allocation, AllocationStatus status, Actor actor, long now, bool takeUnits = true)
    {
        var closedBy = actor.Id is null ? actor.Type : $"{actor.Type}:{actor.Id}";
        await connection.ExecuteAsync(AllocationRows.Close, new { id = allocation.Id, status = AllocationRows.Name(status), now, closedBy }, transaction).ConfigureAwait(false);
        var operation = AllocationRules.OperationFor(status);
        foreach (var item in allocation.Items)
        {
            var delta = status == AllocationStatus.Committed && takeUnits ? -item.Quantity : 0;
            var quantityAfter = delta == 0
                ? await connection.ExecuteScalarAsync<long?>(AllocationRows.QuantityOf, new { recordId = item.RecordId }, transaction).ConfigureAwait(false)
                : await connection.ExecuteScalarAsync<long?>(
                    "UPDATE stock_records SET quantity = quantity + @delta, revision = revision + 1, updated_at = @now WHERE id = @recordId RETURNING quantity",
                    new { delta, now, recordId = item.RecordId }, transaction).ConfigureAwait(false);
            if (quantityAfter is { } quantity)
            {
                // A record deleted since it was held has nothing left to change or ledger.
                await AppendAsync(connection, transaction, LedgerEntry.ForAllocation(allocation, item, operation, delta, -item.Quantity, quantity, actor, now)).ConfigureAwait(false);
            }
        }

        return allocation with { Status = status, ClosedAtMs = now };
    }

    /// <summary>
    /// The order's holds are used up by its decrement. Their records are already locked, in key order with
    /// the request's own (<see cref="LockSetChangedException"/>), except one deleted since it was held.
    /// </summary>
    private static async Task ConsumeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, StockChange change, List<AllocationRows.HeldRow> held, long now)
    {
        foreach (var allocationId in held.Select(h => h.AllocationId).Distinct())
        {
            if (await LockOpenAsync(connection, transaction, change.InstanceId, allocationId).ConfigureAwait(false) is { Status: AllocationStatus.Open } allocation)
            {
                await FinishAsync(connection, transaction, allocation, AllocationStatus.Committed, new Actor("PLATFORM", change.RequestId), now, takeUnits: false)
                    .ConfigureAwait(false);
            }
        }
    }

    private static async Task<Allocation?> ByKeyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AllocationRequest request)
    {
        var row = await connection.QuerySingleOrDefaultAsync<AllocationRows.Row>(
            AllocationRows.ByIdempotencyKey, new { instanceId = request.InstanceId, idempotencyKey = request.IdempotencyKey }, transaction).ConfigureAwait(false);
        return row is null ? null : await LoadAsync(connection, transaction, row).ConfigureAwait(false);
    }

    internal static async Task<Allocation> LoadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, AllocationRows.Row row) =>
        row.ToAllocation((await connection.QueryAsync<AllocationRows.ItemRow>(AllocationRows.Items, new { id = row.Id }, transaction).ConfigureAwait(false)).Select(i => i.ToItem()));
}
