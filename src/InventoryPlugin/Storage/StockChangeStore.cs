using InventoryPlugin.Stock;

namespace InventoryPlugin.Storage;

/// <summary>The answer stored for a request's outcome, replayed as-is to its retries.</summary>
public readonly record struct StoredResponse(int StatusCode, string Body);

/// <summary>
/// Applies Decrement and Increment Availability requests. Each runs inside one writer transaction
/// (<see cref="StoreWriter"/>), so the idempotency record, every record update and every ledger entry
/// of a request are committed together or not at all.
/// </summary>
public sealed class StockChangeStore(StoreWriter writer)
{
    /// <param name="render">Turns an outcome into the wire answer that is stored for replays.</param>
    public Task<ChangeOutcome> ApplyAsync(StockChange change, Func<ChangeOutcome, StoredResponse> render, CancellationToken cancellationToken) =>
        writer.WriteAsync(context => Apply(context, change, render), cancellationToken);

    private static ChangeOutcome Apply(WriteContext context, StockChange change, Func<ChangeOutcome, StoredResponse> render)
    {
        if (change.RequestId is not null && FindEarlierAnswer(context, change) is { } earlier)
        {
            return earlier;
        }

        var settings = StockRecordQueries.LoadSettings(context, change.InstanceId);
        var demands = SumDemandPerRecord(context, change, settings);

        ChangeOutcome outcome = change.Operation == StockOperation.Decrement && change.Restrict
            ? JudgeRestricted(demands, settings)
            : new ChangeOutcome.Applied();

        if (outcome is ChangeOutcome.Applied)
        {
            foreach (var demand in demands)
            {
                ApplyDemand(context, change, demand);
            }
        }

        if (change.RequestId is not null)
        {
            RememberAnswer(context, change, render(outcome));
        }

        return outcome;
    }

    private static ChangeOutcome? FindEarlierAnswer(WriteContext context, StockChange change)
    {
        var command = context.Prepared(
            "SELECT request_digest, status_code, body FROM idempotency WHERE instance_id = @InstanceId AND request_id = @RequestId",
            ("@InstanceId", change.InstanceId), ("@RequestId", change.RequestId));
        using var earlier = command.ExecuteReader();
        if (!earlier.Read())
        {
            return null;
        }

        return ((byte[])earlier.GetValue(0)).AsSpan().SequenceEqual(change.RequestDigest)
            ? new ChangeOutcome.Replayed((int)earlier.GetInt64(1), earlier.GetString(2))
            : new ChangeOutcome.RequestIdReused();
    }

    private static void RememberAnswer(WriteContext context, StockChange change, StoredResponse response)
    {
        var command = context.Prepared(
            """
            INSERT INTO idempotency (instance_id, request_id, request_digest, status_code, body, created_at)
            VALUES (@InstanceId, @RequestId, @RequestDigest, @StatusCode, @Body, @CreatedAt)
            """,
            ("@InstanceId", change.InstanceId), ("@RequestId", change.RequestId), ("@RequestDigest", change.RequestDigest),
            ("@StatusCode", response.StatusCode), ("@Body", response.Body), ("@CreatedAt", context.NowMs));
        command.ExecuteNonQuery();
    }

    /// <summary>Lines that resolve to the same record are one demand: judged on their sum, changed once.</summary>
    private static List<Demand> SumDemandPerRecord(WriteContext context, StockChange change, TenantSettings settings)
    {
        var demands = new Dictionary<StockKey, Demand>();
        var ordered = new List<Demand>();
        foreach (var line in change.Lines)
        {
            var key = new StockKey(change.InstanceId, line.AppId, line.CatalogItemId, line.VariantKey, line.LocationId ?? settings.DefaultLocationId);
            if (demands.TryGetValue(key, out var demand))
            {
                demand.Quantity += line.Quantity;
                continue;
            }

            demand = new Demand(key, line.CatalogReferenceJson, StockRecordQueries.FindStateByKey(context, key)) { Quantity = line.Quantity };
            demands.Add(key, demand);
            ordered.Add(demand);
        }

        return ordered;
    }

    private static ChangeOutcome JudgeRestricted(List<Demand> demands, TenantSettings settings)
    {
        var refused = new List<RefusedItem>();
        foreach (var demand in demands)
        {
            var verdict = StockRules.JudgeDecrement(demand.Record, demand.Quantity, settings.UnknownItemPolicy);
            if (!verdict.Allowed)
            {
                refused.Add(new RefusedItem(demand.CatalogReferenceJson, demand.Key.LocationId, demand.Quantity, verdict.AvailableQuantity, verdict.Cause));
            }
        }

        return refused.Count == 0 ? new ChangeOutcome.Applied() : new ChangeOutcome.Refused(refused);
    }

    private static void ApplyDemand(WriteContext context, StockChange change, Demand demand)
    {
        var delta = change.Operation == StockOperation.Decrement ? -demand.Quantity : demand.Quantity;
        string recordId;
        long quantityAfter;
        if (demand.Record is null)
        {
            if (change.Restrict && change.Operation == StockOperation.Decrement)
            {
                // Only reachable under the Allow policy: the item is untracked, so nothing is recorded.
                return;
            }

            (recordId, quantityAfter) = CreateAutomatically(context, demand.Key, delta);
        }
        else
        {
            recordId = demand.Record.Id;
            quantityAfter = UpdateGuarded(context, change, demand.Record, delta);
        }

        AppendLedger(context, change, recordId, delta, quantityAfter);
    }

    private static void AppendLedger(WriteContext context, StockChange change, string recordId, long delta, long quantityAfter) =>
        new LedgerEntryRow
        {
            InstanceId = change.InstanceId,
            RecordId = recordId,
            Delta = delta,
            QuantityAfter = quantityAfter,
            Operation = OperationName(change.Operation),
            Reason = change.Reason,
            OrderId = change.OrderId,
            RequestId = change.RequestId,
            ActorType = change.Actor.Type,
            ActorId = change.Actor.Id,
            RestrictFlag = change.Operation == StockOperation.Decrement ? change.Restrict : null,
            CreatedAt = context.NowMs,
        }.Append(context);

    private static string OperationName(StockOperation operation) => operation switch
    {
        StockOperation.Decrement => "DECREMENT",
        StockOperation.Increment => "INCREMENT",
        _ => operation.ToString().ToUpperInvariant(),
    };

    /// <summary>
    /// The update is guarded twice: by the revision that was judged, and, for a restricted decrement,
    /// by the floor itself, so the statement alone can never sell past it.
    /// </summary>
    private static long UpdateGuarded(WriteContext context, StockChange change, StockRecordState record, long delta)
    {
        var floor = change.Operation == StockOperation.Decrement && change.Restrict && record.TrackQuantity
            ? StockRules.Floor(record)
            : null;
        var command = context.Prepared(
            """
            UPDATE stock_records
            SET quantity = quantity + @delta, revision = revision + 1, updated_at = @now
            WHERE id = @id AND revision = @revision AND (@floor IS NULL OR quantity + @delta >= @floor)
            RETURNING quantity
            """,
            ("@id", record.Id), ("@revision", record.Revision), ("@delta", delta), ("@floor", floor), ("@now", context.NowMs));
        var quantityAfter = command.ExecuteScalar() as long?;
        return quantityAfter ?? throw new InvalidOperationException(
            $"Stock record {record.Id} changed between judging and updating; the request was rolled back.");
    }

    private static (string Id, long Quantity) CreateAutomatically(WriteContext context, StockKey key, long delta)
    {
        var id = Guid.CreateVersion7().ToString();
        var command = context.Prepared(
            """
            INSERT INTO stock_records (id, instance_id, app_id, catalog_item_id, variant_key, location_id,
                                       track_quantity, quantity, in_stock, auto_created, revision, created_at, updated_at)
            VALUES (@id, @InstanceId, @AppId, @CatalogItemId, @VariantKey, @LocationId,
                    1, @delta, 0, 1, 1, @now, @now)
            """,
            ("@id", id), ("@InstanceId", key.InstanceId), ("@AppId", key.AppId), ("@CatalogItemId", key.CatalogItemId),
            ("@VariantKey", key.VariantKey), ("@LocationId", key.LocationId), ("@delta", delta), ("@now", context.NowMs));
        command.ExecuteNonQuery();
        return (id, delta);
    }

    private sealed class Demand(StockKey key, string catalogReferenceJson, StockRecordState? record)
    {
        public StockKey Key { get; } = key;

        public string CatalogReferenceJson { get; } = catalogReferenceJson;

        public StockRecordState? Record { get; } = record;

        public long Quantity { get; set; }
    }
}
