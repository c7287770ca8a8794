using System.Data;
using Dapper;
using InventoryPlugin.Stock;

namespace InventoryPlugin.Storage.Postgres;

/// <summary>Reads, each on a pooled connection; filters are written into the SQL only when given.</summary>
public sealed class PostgresStockReader(PostgresDatabase database, TimeProvider clock) : IStockReader
{
    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    private const string LedgerColumns = """
        seq AS Seq, instance_id AS InstanceId, record_id AS RecordId, delta AS Delta, quantity_after AS QuantityAfter,
        operation AS Operation, reason AS Reason, order_id AS OrderId, request_id AS RequestId,
        actor_type AS ActorType, actor_id AS ActorId, restrict_flag AS RestrictFlag, created_at AS CreatedAt
        """;

    public Task<StockRecord?> GetAsync(string instanceId, string id, CancellationToken cancellationToken) =>
        database.RunAsync(async connection =>
            (await connection.QuerySingleOrDefaultAsync<StockRecordRow>(
                $"SELECT {StockRecordRow.Columns} FROM stock_records WHERE instance_id = @instanceId AND id = @id", new { instanceId, id, now = Now })
                .ConfigureAwait(false))?.ToRecord(),
            cancellationToken);

    public Task<IReadOnlyList<StockRecord?>> FindByKeysAsync(IReadOnlyList<StockKey> keys, CancellationToken cancellationToken) =>
        database.RunAsync<IReadOnlyList<StockRecord?>>(async connection =>
        {
            var found = new Dictionary<StockKey, StockRecord>();
            foreach (var tenant in keys.GroupBy(k => k.InstanceId))
            {
                var rows = await connection.QueryAsync<StockRecordRow>(
                    $"""
                    SELECT {StockRecordRow.Columns} FROM stock_records
                    JOIN unnest(@appIds, @catalogItemIds, @variantKeys, @locationIds) AS k(app_id, catalog_item_id, variant_key, location_id)
                      USING (app_id, catalog_item_id, variant_key, location_id)
                    WHERE instance_id = @instanceId
                    """,
                    new
                    {
                        instanceId = tenant.Key,
                        appIds = tenant.Select(k => k.AppId).ToArray(),
                        catalogItemIds = tenant.Select(k => k.CatalogItemId).ToArray(),
                        variantKeys = tenant.Select(k => k.VariantKey).ToArray(),
                        locationIds = tenant.Select(k => k.LocationId).ToArray(),
                        now = Now,
                    }).ConfigureAwait(false);
                foreach (var row in rows)
                {
                    var record = row.ToRecord();
                    found[record.Key] = record;
                }
            }

            return keys.Select(k => found.GetValueOrDefault(k)).ToList();
        }, cancellationToken);

    public Task<IReadOnlyList<StockRecord>> PageAsync(string instanceId, StockRecordFilter filter, string? afterId, int limit, CancellationToken cancellationToken)
    {
        var conditions = new List<string> { "instance_id = @instanceId" };
        AddIf(conditions, afterId, "id > @afterId");
        AddIf(conditions, filter.AppId, "app_id = @appId");
        AddIf(conditions, filter.CatalogItemId, "catalog_item_id = @catalogItemId");
        AddIf(conditions, filter.LocationId, "location_id = @locationId");
        var sql = $"SELECT {StockRecordRow.Columns} FROM stock_records WHERE {string.Join(" AND ", conditions)} ORDER BY id LIMIT @limit";
        return database.RunAsync<IReadOnlyList<StockRecord>>(async connection =>
            (await connection.QueryAsync<StockRecordRow>(
                sql, new { instanceId, afterId, appId = filter.AppId, catalogItemId = filter.CatalogItemId, locationId = filter.LocationId, limit, now = Now })
                .ConfigureAwait(false)).Select(r => r.ToRecord()).ToList(),
            cancellationToken);
    }

    public Task<TenantSettings> LoadSettingsAsync(string instanceId, CancellationToken cancellationToken) =>
        database.RunAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<(string? DefaultLocationId, string? UnknownItemPolicy)>(
                "SELECT default_location_id, unknown_item_policy FROM tenant_settings WHERE instance_id = @instanceId", new { instanceId })
                .ConfigureAwait(false);
            return TenantSettings.FromStored(row.DefaultLocationId, row.UnknownItemPolicy);
        }, cancellationToken);

    public Task<IReadOnlyList<LedgerEntry>> LedgerPageAsync(string instanceId, LedgerFilter filter, long afterSeq, int limit, CancellationToken cancellationToken)
    {
        var conditions = new List<string> { "instance_id = @instanceId", "seq > @afterSeq" };
        AddIf(conditions, filter.RecordId, "record_id = @recordId");
        AddIf(conditions, filter.OrderId, "order_id = @orderId");
        AddIf(conditions, filter.RequestId, "request_id = @requestId");
        AddIf(conditions, filter.From, "created_at >= @from");
        AddIf(conditions, filter.To, "created_at < @to");
        var sql = $"SELECT {LedgerColumns} FROM ledger WHERE {string.Join(" AND ", conditions)} ORDER BY seq LIMIT @limit";
        return database.RunAsync<IReadOnlyList<LedgerEntry>>(async connection =>
            (await connection.QueryAsync<LedgerEntry>(
                sql, new { instanceId, afterSeq, recordId = filter.RecordId, orderId = filter.OrderId, requestId = filter.RequestId, from = filter.From, to = filter.To, limit })
                .ConfigureAwait(false)).ToList(),
            cancellationToken);
    }

    public Task<LedgerVerificationReport> VerifyLedgerAsync(string? instanceId, CancellationToken cancellationToken)
    {
        var tenant = instanceId is null ? "" : "WHERE instance_id = @instanceId";
        var recordTenant = instanceId is null ? "" : "AND r.instance_id = @instanceId";
        return database.RunAsync(async connection =>
        {
            // One snapshot: the counts, sums and chains all describe the same moment.
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
            var (records, entries) = await connection.QuerySingleAsync<(long, long)>(
                $"SELECT (SELECT COUNT(*) FROM stock_records {tenant}), (SELECT COUNT(*) FROM ledger {tenant})", new { instanceId }, transaction)
                .ConfigureAwait(false);
            var drifts = (await connection.QueryAsync<RecordDrift>(
                $"""
                SELECT r.instance_id AS InstanceId, r.id AS RecordId, r.quantity AS Quantity,
                       COALESCE(l.total, 0) AS LedgerSum, COALESCE(l.entries, 0) AS Entries,
                       COALESCE(h.held, 0) AS Held, COALESCE(l.allocated, 0) AS AllocatedLedgerSum
                FROM stock_records r
                LEFT JOIN (SELECT instance_id, record_id, SUM(delta)::bigint AS total, COUNT(*) AS entries, SUM(allocated_delta)::bigint AS allocated
                           FROM ledger {tenant}
                           GROUP BY instance_id, record_id) l
                       ON l.instance_id = r.instance_id AND l.record_id = r.id
                LEFT JOIN (SELECT ai.record_id, SUM(ai.quantity)::bigint AS held
                           FROM allocation_items ai JOIN allocations a ON a.id = ai.allocation_id
                           WHERE a.status = 'OPEN'
                           GROUP BY ai.record_id) h
                       ON h.record_id = r.id
                WHERE (r.quantity <> COALESCE(l.total, 0) OR COALESCE(h.held, 0) <> COALESCE(l.allocated, 0)) {recordTenant}
                ORDER BY r.instance_id, r.id
                LIMIT @limit
                """,
                new { instanceId, limit = LedgerVerificationReport.MaxListed }, transaction).ConfigureAwait(false)).ToList();
            var broken = (await connection.QueryAsync<BrokenLedgerEntry>(
                $"""
                SELECT seq AS Seq, instance_id AS InstanceId, record_id AS RecordId, quantity_after AS QuantityAfter, running AS RunningSum
                FROM (SELECT seq, instance_id, record_id, quantity_after,
                             (SUM(delta) OVER (PARTITION BY instance_id, record_id ORDER BY seq))::bigint AS running
                      FROM ledger {tenant}) chained
                WHERE quantity_after <> running
                ORDER BY seq
                LIMIT @limit
                """,
                new { instanceId, limit = LedgerVerificationReport.MaxListed }, transaction).ConfigureAwait(false)).ToList();
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return new LedgerVerificationReport(records, entries, drifts, broken);
        }, cancellationToken);
    }

    public Task<Allocation?> GetAllocationAsync(string instanceId, string id, CancellationToken cancellationToken) =>
        database.RunAsync(async connection =>
            await connection.QuerySingleOrDefaultAsync<AllocationRows.Row>(AllocationRows.ById, new { instanceId, id }).ConfigureAwait(false) is { } row
                ? await PostgresStockStore.LoadAsync(connection, null, row).ConfigureAwait(false)
                : null,
            cancellationToken);

    private static void AddIf(List<string> conditions, object? value, string condition)
    {
        if (value is not null)
        {
            conditions.Add(condition);
        }
    }
}
