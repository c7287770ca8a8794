using InventoryPlugin.Stock;

namespace InventoryPlugin.Storage.Sqlite;

/// <summary>
/// The SQLite store. Every change runs inside one writer transaction (<see cref="StoreWriter"/>), so the
/// idempotency record, every record update and every ledger entry of a request are committed together
/// or not at all; the single writer is also what serialises concurrent requests.
/// </summary>
public sealed partial class SqliteStockStore(StoreWriter writer) : IStockStore
{
    /// <summary>
    /// Every change runs through here: the work, then the stock events it causes, in the work's own
    /// savepoint (a write that fails leaves no event behind; one that is committed has its events).
    /// </summary>
    private Task<T> WriteAsync<T>(Func<WriteContext, T> work, CancellationToken cancellationToken) =>
        writer.WriteAsync(
            context =>
            {
                context.Watch.Clear();
                var result = work(context);
                SqliteStockEvents.Settle(context);
                return result;
            },
            cancellationToken);

    public Task<ChangeOutcome> ApplyAsync(StockChange change, Func<ChangeOutcome, StoredResponse> render, CancellationToken cancellationToken) =>
        WriteAsync(context => Apply(context, change, render), cancellationToken);

    private static ChangeOutcome Apply(WriteContext context, StockChange change, Func<ChangeOutcome, StoredResponse> render)
    {
        if (change.RequestId is not null && FindEarlierAnswer(context, change) is { } earlier)
        {
            return earlier;
        }

        var settings = StockRecordQueries.LoadSettings(context, change.InstanceId);
        var demands = StockChangePlan.SumPerRecord(change, settings);
        var held = HeldForOrder(context, change);
        var records = AllocationRules.WithoutHolds(
            demands.Select(d => StockRecordQueries.FindStateByKey(context, d.Key)).ToList(),
            held.GroupBy(h => h.RecordId).ToDictionary(g => g.Key, g => g.Sum(h => h.Quantity)));
        ChangeOutcome outcome;
        (long First, long Last)? ledgerSpan = null;
        switch (StockChangePlan.Decide(change, demands, records, settings.UnknownItemPolicy))
        {
            case ChangeDecision.Apply apply:
                foreach (var step in apply.Steps)
                {
                    var (recordId, quantityAfter) = step switch
                    {
                        RecordStep.Update update => (update.Record.Id, UpdateGuarded(context, update)),
                        _ => CreateAutomatically(context, step.Demand.Key, step.Delta),
                    };
                    var seq = LedgerEntry.ForPlatformChange(change, recordId, step.Delta, quantityAfter, context.NowMs).Append(context);
                    ledgerSpan = (ledgerSpan?.First ?? seq, seq);
                    if (step is RecordStep.Update judged)
                    {
                        // After this request: the judged row (its order's holds already taken out) with the new quantity.
                        context.Watch.Know(judged.Record with { Quantity = quantityAfter });
                    }
                }

                // The order's holds are used up by its decrement.
                foreach (var allocationId in held.Select(h => h.AllocationId).Distinct())
                {
                    Finish(context, Load(context, change.InstanceId, allocationId)!, AllocationStatus.Committed, ConsumedBy(change), takeUnits: false);
                }

                outcome = new ChangeOutcome.Applied();
                break;
            case ChangeDecision.Refuse refuse:
                outcome = new ChangeOutcome.Refused(refuse.Items);
                break;
            default:
                throw new InvalidOperationException("Unknown decision.");
        }

        if (change.RequestId is not null)
        {
            RememberAnswer(context, change, render(outcome), ledgerSpan);
        }

        return outcome;
    }

    /// <summary>What the order of a platform decrement holds: its open, unexpired allocations' items (a prepared read: the hot path).</summary>
    private static List<AllocationRows.HeldRow> HeldForOrder(WriteContext context, StockChange change)
    {
        var held = new List<AllocationRows.HeldRow>();
        if (change.Operation != StockOperation.Decrement)
        {
            return held;
        }

        using var rows = context.Prepared(
            AllocationRows.HeldForOrder, ("@instanceId", change.InstanceId), ("@orderId", change.OrderId), ("@now", context.NowMs));
        while (rows.Read())
        {
            held.Add(new AllocationRows.HeldRow { AllocationId = rows.GetString(0), RecordId = rows.GetString(1), Quantity = rows.GetInt64(2) });
        }

        return held;
    }

    private static Actor ConsumedBy(StockChange change) => new("PLATFORM", change.RequestId);

    private static ChangeOutcome? FindEarlierAnswer(WriteContext context, StockChange change)
    {
        using var earlier = context.Prepared(
            "SELECT request_digest, status_code, body FROM idempotency WHERE instance_id = @InstanceId AND request_id = @RequestId",
            ("@InstanceId", change.InstanceId), ("@RequestId", change.RequestId));
        if (!earlier.Read())
        {
            return null;
        }

        return earlier.GetBlob(0).SequenceEqual(change.RequestDigest)
            ? new ChangeOutcome.Replayed((int)earlier.GetInt64(1), earlier.GetString(2))
            : new ChangeOutcome.RequestIdReused();
    }

    /// <summary>
    /// Stores the answer for retries, and the span of ledger seqs the request wrote: the ledger's
    /// requestId lookup reads it (<see cref="SqliteLedgerQueries"/>) instead of an index on every entry.
    /// </summary>
    private static void RememberAnswer(WriteContext context, StockChange change, StoredResponse response, (long First, long Last)? ledgerSpan)
    {
        context.Prepared(
            """
            INSERT INTO idempotency (instance_id, request_id, request_digest, status_code, body, created_at, ledger_first_seq, ledger_last_seq)
            VALUES (@InstanceId, @RequestId, @RequestDigest, @StatusCode, @Body, @CreatedAt, @LedgerFirstSeq, @LedgerLastSeq)
            """,
            ("@InstanceId", change.InstanceId), ("@RequestId", change.RequestId), ("@RequestDigest", change.RequestDigest),
            ("@StatusCode", response.StatusCode), ("@Body", response.Body), ("@CreatedAt", context.NowMs),
            ("@LedgerFirstSeq", ledgerSpan?.First), ("@LedgerLastSeq", ledgerSpan?.Last)).Execute();
    }

    /// <summary>
    /// The update is guarded twice: by the revision that was judged, and, for a restricted decrement,
    /// by the floor itself, so the statement alone can never sell past it. The revision guard is also
    /// why the quantity after is the judged one plus the delta (no <c>RETURNING</c>, see
    /// <see cref="PreparedStatement.ExecuteInsert"/>).
    /// </summary>
    private static long UpdateGuarded(WriteContext context, RecordStep.Update step)
    {
        var updated = context.Prepared(
            """
            UPDATE stock_records
            SET quantity = quantity + @delta, revision = revision + 1, updated_at = @now
            WHERE id = @id AND revision = @revision AND (@floor IS NULL OR quantity + @delta >= @floor)
            """,
            ("@id", step.Record.Id), ("@revision", step.Record.Revision), ("@delta", step.Delta), ("@floor", step.Floor), ("@now", context.NowMs)).Execute();
        return updated == 1 ? step.Record.Quantity + step.Delta : throw new InvalidOperationException(
            $"Stock record {step.Record.Id} changed between judging and updating; the request was rolled back.");
    }

    private static (string Id, long Quantity) CreateAutomatically(WriteContext context, StockKey key, long delta)
    {
        var id = Guid.CreateVersion7().ToString();
        context.Prepared(
            """
            INSERT INTO stock_records (id, instance_id, app_id, catalog_item_id, variant_key, location_id,
                                       track_quantity, quantity, in_stock, stock_level, auto_created, revision, created_at, updated_at)
            VALUES (@id, @InstanceId, @AppId, @CatalogItemId, @VariantKey, @LocationId,
                    1, @delta, 0, @stockLevel, 1, 1, @now, @now)
            """,
            ("@id", id), ("@InstanceId", key.InstanceId), ("@AppId", key.AppId), ("@CatalogItemId", key.CatalogItemId),
            ("@VariantKey", key.VariantKey), ("@LocationId", key.LocationId), ("@delta", delta),
            ("@stockLevel", StockLevels.Name(StockLevels.OfCreated(new NewStockRecord(key, true, delta, false)))), ("@now", context.NowMs)).Execute();
        return (id, delta);
    }
}
