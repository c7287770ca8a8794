using Dapper;
using InventoryPlugin.Stock;

namespace InventoryPlugin.Storage.Sqlite;

/// <summary>Allocations (holds), each call one writer transaction with its ledger entries.</summary>
public sealed partial class SqliteStockStore
{
    private static readonly Actor Sweep = new("SWEEP", null);

    public Task<AllocationOutcome> AllocateAsync(AllocationRequest request, CancellationToken cancellationToken) =>
        WriteAsync(context => Allocate(context, request), cancellationToken);

    public Task<AllocationOutcome> CommitAllocationAsync(string instanceId, string id, Actor actor, CancellationToken cancellationToken) =>
        WriteAsync(context => Close(context, instanceId, id, AllocationStatus.Committed, actor), cancellationToken);

    public Task<AllocationOutcome> ReleaseAllocationAsync(string instanceId, string id, Actor actor, CancellationToken cancellationToken) =>
        WriteAsync(context => Close(context, instanceId, id, AllocationStatus.Released, actor), cancellationToken);

    public Task<int> ExpireAllocationsAsync(int max, CancellationToken cancellationToken) =>
        WriteAsync(
            context =>
            {
                var due = context.Connection.Query<(string Id, string InstanceId)>(AllocationRows.Due, new { now = context.NowMs, max }, context.Transaction).ToList();
                foreach (var (id, instanceId) in due)
                {
                    Finish(context, Load(context, instanceId, id)!, AllocationStatus.Expired, Sweep);
                }

                return due.Count;
            },
            cancellationToken);

    private static AllocationOutcome Allocate(WriteContext context, AllocationRequest request)
    {
        if (request.IdempotencyKey is not null
            && context.Connection.QuerySingleOrDefault<AllocationRows.Row>(
                AllocationRows.ByIdempotencyKey, new { instanceId = request.InstanceId, idempotencyKey = request.IdempotencyKey }, context.Transaction) is { } earlier)
        {
            return new AllocationOutcome.Created(Load(context, request.InstanceId, earlier.Id)!, Replayed: true);
        }

        var demands = StockChangePlan.SumPerRecord(request.Lines);
        var records = demands.Select(d => StockRecordQueries.FindStateByKey(context, d.Key)).ToList();
        if (AllocationRules.Judge(demands, records) is { Count: > 0 } refused)
        {
            return new AllocationOutcome.Refused(refused);
        }

        var allocation = new Allocation(
            Guid.CreateVersion7().ToString(), request.InstanceId, AllocationStatus.Open, request.OrderId, request.IdempotencyKey,
            context.NowMs + (request.TtlSeconds * 1000), context.NowMs, null,
            demands.Select((d, i) => new AllocationItem(records[i]!.Id, d.Key.LocationId, d.CatalogReferenceJson, d.Quantity)).ToList());
        context.Connection.Execute(AllocationRows.Insert, allocation, context.Transaction);
        for (var i = 0; i < demands.Count; i++)
        {
            var item = allocation.Items[i];
            context.Connection.Execute(AllocationRows.InsertItem, new { allocationId = allocation.Id, item.RecordId, item.Quantity, item.CatalogReferenceJson }, context.Transaction);
            LedgerEntry.ForAllocation(allocation, item, StockOperation.Allocate, 0, item.Quantity, records[i]!.Quantity, request.Actor, context.NowMs).Append(context);
        }

        return new AllocationOutcome.Created(allocation, Replayed: false);
    }

    private static AllocationOutcome Close(WriteContext context, string instanceId, string id, AllocationStatus wanted, Actor actor)
    {
        if (Load(context, instanceId, id) is not { } allocation)
        {
            return new AllocationOutcome.NotFound();
        }

        return AllocationRules.OnClose(allocation, wanted, context.NowMs) switch
        {
            CloseDecision.Finish finish => new AllocationOutcome.Closed(Finish(context, allocation, finish.As, actor), Replayed: false),
            CloseDecision.Replay => new AllocationOutcome.Closed(allocation, Replayed: true),
            CloseDecision.Conflict conflict => new AllocationOutcome.Conflict(allocation with { Status = conflict.Seen }),
            _ => throw new InvalidOperationException("Unknown decision."),
        };
    }

    /// <summary>
    /// Closes an open allocation as <paramref name="status"/>. A merchant's commit takes its units off the
    /// records' quantities; one consumed by its order's platform decrement (<paramref name="takeUnits"/>
    /// false) only stops holding them, since that decrement takes them.
    /// </summary>
    internal static Allocation Finish(WriteContext context, Allocation allocation, AllocationStatus status, Actor actor, bool takeUnits = true)
    {
        var closedBy = actor.Id is null ? actor.Type : $"{actor.Type}:{actor.Id}";
        context.Connection.Execute(AllocationRows.Close, new { id = allocation.Id, status = AllocationRows.Name(status), now = context.NowMs, closedBy }, context.Transaction);
        var operation = AllocationRules.OperationFor(status);
        foreach (var item in allocation.Items)
        {
            var delta = status == AllocationStatus.Committed && takeUnits ? -item.Quantity : 0;
            var quantityAfter = delta == 0
                ? context.Connection.ExecuteScalar<long?>(AllocationRows.QuantityOf, new { recordId = item.RecordId }, context.Transaction)
                : context.Connection.ExecuteScalar<long?>(
                    "UPDATE stock_records SET quantity = quantity + @delta, revision = revision + 1, updated_at = @now WHERE id = @recordId RETURNING quantity",
                    new { delta, now = context.NowMs, recordId = item.RecordId }, context.Transaction);
            if (quantityAfter is { } quantity)
            {
                // A record deleted since it was held has nothing left to change or ledger.
                LedgerEntry.ForAllocation(allocation, item, operation, delta, -item.Quantity, quantity, actor, context.NowMs).Append(context);
            }
        }

        return allocation with { Status = status, ClosedAtMs = context.NowMs };
    }

    internal static Allocation? Load(WriteContext context, string instanceId, string id) =>
        AllocationRows.Load(context.Connection, context.Transaction, instanceId, id);
}
