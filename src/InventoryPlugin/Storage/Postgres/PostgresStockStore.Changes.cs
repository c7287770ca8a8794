using InventoryPlugin.Stock;
using Npgsql;
using NpgsqlTypes;

namespace InventoryPlugin.Storage.Postgres;

/// <summary>
/// The PostgreSQL store, shared by any number of replicas. A platform request is one transaction in
/// three round trips and a commit: claim the requestId (the primary key makes a duplicate wait for the
/// first and then replay its answer) and read the settings; lock the request's records in key order
/// (so two requests never deadlock) and judge them with <see cref="StockChangePlan"/>; then update the
/// records, append their ledger entries and store the answer, all in one batch.
/// </summary>
public sealed partial class PostgresStockStore(PostgresDatabase database, TimeProvider clock) : IStockStore
{
    private const string ClaimSql = """
        INSERT INTO idempotency (instance_id, request_id, request_digest, status_code, body, created_at)
        VALUES ($1, $2, $3, 0, '', $4)
        ON CONFLICT (instance_id, request_id) DO NOTHING
        """;

    private const string SettingsSql = "SELECT default_location_id, unknown_item_policy FROM tenant_settings WHERE instance_id = $1";

    private const string EarlierAnswerSql = "SELECT request_digest, status_code, body FROM idempotency WHERE instance_id = $1 AND request_id = $2";

    /// <summary>
    /// Each demand's record, found through the unique key's index: one lookup per demand, as a lateral
    /// subquery (its <c>LIMIT</c> keeps the planner from turning it back into a join), so the plan is
    /// the same whatever the table's size or statistics and the arrays' length (<see cref="GenericPlansSql"/>).
    /// </summary>
    private static string DemandLookup(string locking = "") => $"""
        CROSS JOIN LATERAL (
            SELECT * FROM stock_records s
            WHERE s.instance_id = $1 AND s.app_id = k.app_id AND s.catalog_item_id = k.catalog_item_id
              AND s.variant_key = k.variant_key AND s.location_id = k.location_id
            LIMIT 1 {locking}) r
        """;

    /// <summary>
    /// Locks the demands' records one at a time in key order (the nested loop takes the sorted keys in
    /// turn), the order of every path that locks several records, so two transactions never deadlock.
    /// Returns the ids it locked: a record created meanwhile by another transaction can show up in the
    /// read that follows without having been locked here (<see cref="LockSetChangedException"/>).
    /// </summary>
    internal static readonly string LockSql = $"""
        SELECT r.id
        FROM (SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS k(app_id, catalog_item_id, variant_key, location_id)
              ORDER BY app_id, catalog_item_id, variant_key, location_id) k
        {DemandLookup("FOR UPDATE")}
        """;

    /// <summary>
    /// <see cref="LockSql"/> for a transaction started over (<see cref="LockSetChangedException"/>): the
    /// records named by id in $6 (those the order's holds use and the request does not name) are locked
    /// in the same key order as the demands'.
    /// </summary>
    internal static readonly string LockWithOthersSql = $"""
        SELECT r.id
        FROM (SELECT app_id, catalog_item_id, variant_key, location_id
              FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS k(app_id, catalog_item_id, variant_key, location_id)
              UNION
              SELECT app_id, catalog_item_id, variant_key, location_id FROM stock_records WHERE instance_id = $1 AND id = ANY($6::text[])
              ORDER BY app_id, catalog_item_id, variant_key, location_id) k
        {DemandLookup("FOR UPDATE")}
        """;

    /// <summary>
    /// Read in a statement after the lock: read committed gives it a snapshot taken once the locks are
    /// held, so allocations committed by whoever held them before count.
    /// </summary>
    internal static readonly string ReadLockedSql = $"""
        SELECT k.ord, r.id, r.track_quantity, r.quantity, r.in_stock, r.preorder_enabled, r.preorder_limit, r.revision,
               {StockRecordRow.AllocatedSql("r.id", "$6")}, r.low_stock_threshold, r.stock_level
        FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS k(app_id, catalog_item_id, variant_key, location_id, ord)
        {DemandLookup()}
        """;

    /// <summary>
    /// Sent first in a platform transaction. Its statements take arrays whose length only the values
    /// tell, so PostgreSQL's default choice plans them afresh at every execution (a plan for an array of
    /// unknown length always looks dearer than one for the array at hand): 0.2–0.3 ms of the database's
    /// CPU per statement on this machine kind, more than running it (README, levers). With
    /// <see cref="DemandLookup"/> the one generic plan is an index lookup per demand, so the
    /// transaction keeps it; <c>SET LOCAL</c> ends with the transaction.
    /// </summary>
    internal const string GenericPlansSql = "SET LOCAL plan_cache_mode = force_generic_plan";

    // $1..$9: the ledger columns every entry of the request shares.
    private const string LedgerColumns = "instance_id, record_id, delta, quantity_after, operation, reason, order_id, request_id, actor_type, actor_id, restrict_flag, created_at";

    /// <summary>
    /// Guarded like SQLite's: by the judged revision and, for a restricted decrement, by the floor. Each
    /// record is found and guarded by a primary-key lookup of its own, and then updated at the row version
    /// that lookup found (<c>ctid</c>), the one thing the update joins on: joined by id and revision, the
    /// generic plan could hash the changes and scan the whole table at every request (README, levers).
    /// The version cannot move in between: the records are locked by <see cref="LockSql"/> and each is
    /// updated once per transaction.
    /// </summary>
    internal const string UpdateSql = $"""
        WITH v AS (SELECT * FROM unnest($10::text[], $11::bigint[], $12::bigint[], $13::bigint[], $14::int[]) AS v(id, revision, delta, floor, ord)),
        changed AS (
            UPDATE stock_records s
            SET quantity = s.quantity + v.delta, revision = s.revision + 1, updated_at = $9
            FROM v CROSS JOIN LATERAL (
                SELECT r.ctid FROM stock_records r
                WHERE r.id = v.id AND r.revision = v.revision AND (v.floor IS NULL OR r.quantity + v.delta >= v.floor)
                LIMIT 1) r
            WHERE s.ctid = r.ctid
            RETURNING s.id, s.quantity, v.delta, v.ord)
        INSERT INTO ledger ({LedgerColumns})
        SELECT $1, id, delta, quantity, $2, $3, $4, $5, $6, $7, $8, $9 FROM changed ORDER BY ord
        """;

    /// <summary>
    /// Creates the records an unrestricted change names and nobody has yet. Another replica may create one
    /// first; the change then applies to that record instead, as it would have had it existed.
    /// </summary>
    private const string CreateSql = $"""
        WITH v AS (SELECT * FROM unnest($10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::bigint[], $16::int[], $17::text[])
                   AS v(id, app_id, catalog_item_id, variant_key, location_id, delta, ord, stock_level)),
        created AS (
            INSERT INTO stock_records (id, instance_id, app_id, catalog_item_id, variant_key, location_id,
                                       track_quantity, quantity, in_stock, stock_level, auto_created, revision, created_at, updated_at)
            SELECT v.id, $1, v.app_id, v.catalog_item_id, v.variant_key, v.location_id, true, v.delta, false, v.stock_level, true, 1, $9, $9
            FROM v ORDER BY v.app_id, v.catalog_item_id, v.variant_key, v.location_id
            ON CONFLICT ON CONSTRAINT stock_records_key DO UPDATE
            SET quantity = stock_records.quantity + excluded.quantity, revision = stock_records.revision + 1, updated_at = excluded.updated_at
            RETURNING stock_records.id, stock_records.app_id, stock_records.catalog_item_id, stock_records.variant_key,
                      stock_records.location_id, stock_records.quantity)
        INSERT INTO ledger ({LedgerColumns})
        SELECT $1, c.id, v.delta, c.quantity, $2, $3, $4, $5, $6, $7, $8, $9
        FROM created c JOIN v USING (app_id, catalog_item_id, variant_key, location_id)
        ORDER BY v.ord
        """;

    private const string AnswerSql = "UPDATE idempotency SET status_code = $3, body = $4 WHERE instance_id = $1 AND request_id = $2";

    public Task<ChangeOutcome> ApplyAsync(StockChange change, Func<ChangeOutcome, StoredResponse> render, CancellationToken cancellationToken) =>
        RunAsync((connection, alsoLock) => ApplyAsync(connection, change, render, alsoLock, cancellationToken), cancellationToken);

    /// <summary>
    /// Runs the work on a pooled connection, and again from the start when the records it locked were not
    /// all it must hold (<see cref="LockSetChangedException"/>), then locking those too. The disposed
    /// transaction rolled back, claim included; a third change in a row is answered as a conflict to retry.
    /// </summary>
    private Task<T> RunAsync<T>(Func<NpgsqlConnection, IReadOnlyList<string>, Task<T>> work, CancellationToken cancellationToken) =>
        database.RunAsync(async connection =>
        {
            IReadOnlyList<string> alsoLock = [];
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await work(connection, alsoLock).ConfigureAwait(false);
                }
                catch (LockSetChangedException changed) when (attempt < 3)
                {
                    alsoLock = changed.AlsoLock;
                }
            }
        }, cancellationToken);

    private async Task<ChangeOutcome> ApplyAsync(
        NpgsqlConnection connection, StockChange change, Func<ChangeOutcome, StoredResponse> render, IReadOnlyList<string> alsoLock, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        PostgresStockEvents.Begin(transaction);

        var (claimed, settings) = await ClaimAndReadSettingsAsync(connection, transaction, change, now, cancellationToken).ConfigureAwait(false);
        if (!claimed)
        {
            // The requestId was committed by another transaction (it waited for that one to finish).
            var earlier = await EarlierAnswerAsync(connection, transaction, change, cancellationToken).ConfigureAwait(false);
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return earlier;
        }

        var demands = StockChangePlan.SumPerRecord(change, settings);
        var (locked, held) = await LockRecordsAsync(connection, transaction, change.InstanceId, demands, now, cancellationToken, heldFor: change, alsoLock).ConfigureAwait(false);
        var records = AllocationRules.WithoutHolds(locked, held.GroupBy(h => h.RecordId).ToDictionary(g => g.Key, g => g.Sum(h => h.Quantity)));
        var decision = StockChangePlan.Decide(change, demands, records, settings.UnknownItemPolicy);
        ChangeOutcome outcome = decision is ChangeDecision.Refuse refuse ? new ChangeOutcome.Refused(refuse.Items) : new ChangeOutcome.Applied();

        await using var batch = new NpgsqlBatch(connection, transaction);
        var steps = decision is ChangeDecision.Apply apply ? apply.Steps : [];
        var updates = steps.OfType<RecordStep.Update>().ToList();
        var creates = steps.OfType<RecordStep.Create>().ToList();
        if (updates.Count > 0)
        {
            batch.BatchCommands.Add(Updates(change, updates, now));
        }

        if (creates.Count > 0)
        {
            batch.BatchCommands.Add(Creates(change, creates, now));
        }

        if (change.RequestId is not null)
        {
            var answer = render(outcome);
            batch.BatchCommands.Add(Command(AnswerSql, change.InstanceId, change.RequestId, answer.StatusCode, answer.Body));
        }

        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            var ledgered = (updates.Count > 0 ? batch.BatchCommands[0].RecordsAffected : 0)
                + (creates.Count > 0 ? batch.BatchCommands[updates.Count > 0 ? 1 : 0].RecordsAffected : 0);
            if (ledgered != steps.Count)
            {
                // Cannot happen while the rows are locked; if it does, nothing of the request is kept.
                throw new InvalidOperationException($"{steps.Count} records were to change but {ledgered} did; the request was rolled back.");
            }
        }

        // An auto-created record starts at its own level (another replica creating it at the same
        // moment is the one case whose crossing waits for the record's next change).
        foreach (var update in updates)
        {
            PostgresStockEvents.Saw(transaction, LedgerEntry.ForPlatformChange(change, update.Record.Id, update.Delta, 0, now));
            PostgresStockEvents.Know(transaction, update.Record with { Quantity = update.Record.Quantity + update.Delta });
        }

        if (decision is ChangeDecision.Apply && held.Count > 0)
        {
            await ConsumeAsync(connection, transaction, change, held, now).ConfigureAwait(false);
        }

        await PostgresStockEvents.SettleAsync(connection, transaction, now).ConfigureAwait(false);

        // Once the commit is sent its outcome no longer depends on the caller waiting for it.
        await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        return outcome;
    }

    private static async Task<(bool Claimed, TenantSettings Settings)> ClaimAndReadSettingsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, StockChange change, long now, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(GenericPlansSql));
        var claim = change.RequestId is null ? null : Command(ClaimSql, change.InstanceId, change.RequestId, change.RequestDigest, now);
        if (claim is not null)
        {
            batch.BatchCommands.Add(claim);
        }

        batch.BatchCommands.Add(Command(SettingsSql, change.InstanceId));
        var settings = TenantSettings.Defaults;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                settings = TenantSettings.FromStored(reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1));
            }
        }

        return (claim is null || claim.RecordsAffected == 1, settings);
    }

    private static async Task<ChangeOutcome> EarlierAnswerAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, StockChange change, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(EarlierAnswerSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = change.InstanceId });
        command.Parameters.Add(new NpgsqlParameter { Value = change.RequestId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException("A claimed requestId has no stored answer.");
        }

        return reader.GetFieldValue<byte[]>(0).AsSpan().SequenceEqual(change.RequestDigest)
            ? new ChangeOutcome.Replayed(reader.GetInt32(1), reader.GetString(2))
            : new ChangeOutcome.RequestIdReused();
    }

    /// <summary>
    /// The current state of each demand's record, locked for this transaction in key order with the
    /// records of <paramref name="alsoLock"/>, and, for a decrement (<paramref name="heldFor"/>), what its
    /// order holds: all in one round trip. Throws <see cref="LockSetChangedException"/> when that is not
    /// every record the transaction must hold.
    /// </summary>
    private static async Task<(StockRecordState?[] Records, List<AllocationRows.HeldRow> Held)> LockRecordsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string instanceId, IReadOnlyList<Demand> demands, long now, CancellationToken cancellationToken,
        StockChange? heldFor = null, IReadOnlyList<string>? alsoLock = null)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        var lockSql = alsoLock is { Count: > 0 } ? LockWithOthersSql : LockSql;
        foreach (var sql in new[] { lockSql, ReadLockedSql })
        {
            var command = new NpgsqlBatchCommand(sql);
            command.Parameters.Add(new NpgsqlParameter { Value = instanceId });
            command.Parameters.Add(TextArray(demands.Select(d => d.Key.AppId)));
            command.Parameters.Add(TextArray(demands.Select(d => d.Key.CatalogItemId)));
            command.Parameters.Add(TextArray(demands.Select(d => d.Key.VariantKey)));
            command.Parameters.Add(TextArray(demands.Select(d => d.Key.LocationId)));
            if (sql == ReadLockedSql)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = now });
            }
            else if (sql == LockWithOthersSql)
            {
                command.Parameters.Add(TextArray(alsoLock!));
            }

            batch.BatchCommands.Add(command);
        }

        var readsHolds = heldFor is { Operation: StockOperation.Decrement };
        if (readsHolds)
        {
            var held = new NpgsqlBatchCommand(AllocationRows.HeldForOrder);
            held.Parameters.Add(new NpgsqlParameter("instanceId", heldFor!.InstanceId));
            held.Parameters.Add(new NpgsqlParameter("orderId", heldFor.OrderId));
            held.Parameters.Add(new NpgsqlParameter("now", now));
            batch.BatchCommands.Add(held);
        }

        var records = new StockRecordState?[demands.Count];
        var holds = new List<AllocationRows.HeldRow>();
        var locked = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            locked.Add(reader.GetString(0));
        }

        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var id = reader.GetString(1);
            if (!locked.Contains(id))
            {
                throw new LockSetChangedException($"Record {id} was created by another transaction while this one locked its records.", alsoLock ?? []);
            }

            records[reader.GetInt64(0) - 1] = new StockRecordState(
                id,
                reader.GetBoolean(2),
                reader.GetInt64(3),
                reader.GetBoolean(4),
                reader.GetBoolean(5),
                reader.IsDBNull(6) ? null : reader.GetInt64(6),
                reader.GetInt64(7),
                reader.GetInt64(8),
                reader.IsDBNull(9) ? null : reader.GetInt64(9),
                StockLevels.Parse(reader.GetString(10)) ?? StockLevel.Ok);
        }

        if (readsHolds && await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                holds.Add(new AllocationRows.HeldRow { AllocationId = reader.GetString(0), RecordId = reader.GetString(1), Quantity = reader.GetInt64(2) });
            }
        }

        // The decrement uses up its order's holds, so it changes their records too. Those the request does
        // not name were not locked above: asked for once (a record deleted since stays unlocked), they are
        // locked with the others when the transaction starts over.
        var asked = alsoLock ?? [];
        if (holds.Count > 0 && holds.Select(h => h.RecordId).Where(id => !locked.Contains(id) && !asked.Contains(id)).Distinct().ToList() is { Count: > 0 } unlocked)
        {
            throw new LockSetChangedException($"The order's holds use records {string.Join(", ", unlocked)} that the request does not name.", [.. asked, .. unlocked]);
        }

        return (records, holds);
    }

    private static NpgsqlBatchCommand Updates(StockChange change, List<RecordStep.Update> updates, long now)
    {
        var command = LedgerCommand(UpdateSql, change, now);
        command.Parameters.Add(TextArray(updates.Select(u => u.Record.Id)));
        command.Parameters.Add(Array(updates.Select(u => u.Record.Revision).ToArray(), NpgsqlDbType.Bigint));
        command.Parameters.Add(Array(updates.Select(u => u.Delta).ToArray(), NpgsqlDbType.Bigint));
        command.Parameters.Add(Array(updates.Select(u => u.Floor).ToArray(), NpgsqlDbType.Bigint));
        command.Parameters.Add(Array(Enumerable.Range(0, updates.Count).ToArray(), NpgsqlDbType.Integer));
        return command;
    }

    private static NpgsqlBatchCommand Creates(StockChange change, List<RecordStep.Create> creates, long now)
    {
        var command = LedgerCommand(CreateSql, change, now);
        command.Parameters.Add(TextArray(creates.Select(_ => Guid.CreateVersion7().ToString())));
        command.Parameters.Add(TextArray(creates.Select(c => c.Demand.Key.AppId)));
        command.Parameters.Add(TextArray(creates.Select(c => c.Demand.Key.CatalogItemId)));
        command.Parameters.Add(TextArray(creates.Select(c => c.Demand.Key.VariantKey)));
        command.Parameters.Add(TextArray(creates.Select(c => c.Demand.Key.LocationId)));
        command.Parameters.Add(Array(creates.Select(c => c.Delta).ToArray(), NpgsqlDbType.Bigint));
        command.Parameters.Add(Array(Enumerable.Range(0, creates.Count).ToArray(), NpgsqlDbType.Integer));
        command.Parameters.Add(TextArray(creates.Select(c => StockLevels.Name(StockLevels.OfCreated(new NewStockRecord(c.Demand.Key, true, c.Delta, false))))));
        return command;
    }

    /// <summary>A statement whose $1..$9 are the ledger columns every entry of <paramref name="change"/> shares.</summary>
    private static NpgsqlBatchCommand LedgerCommand(string sql, StockChange change, long now)
    {
        var shared = LedgerEntry.ForPlatformChange(change, "", 0, 0, now);
        var command = Command(sql,
            shared.InstanceId, LedgerEntry.OperationName(shared.Operation), shared.Reason, shared.OrderId, shared.RequestId,
            shared.ActorType, shared.ActorId, null, shared.CreatedAt);
        command.Parameters[7] = new NpgsqlParameter { Value = (object?)shared.RestrictFlag ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Boolean };
        return command;
    }

    private static NpgsqlBatchCommand Command(string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(value switch
            {
                null => new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                _ => new NpgsqlParameter { Value = value },
            });
        }

        return command;
    }

    private static NpgsqlParameter TextArray(IEnumerable<string> values) => Array(values.ToArray(), NpgsqlDbType.Text);

    private static NpgsqlParameter Array<T>(T[] values, NpgsqlDbType elementType) =>
        new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | elementType };
}
