using Dapper;
using InventoryPlugin.Stock;
using Microsoft.Data.Sqlite;

namespace InventoryPlugin.Storage.Sqlite;

/// <summary>Reads of the append-only ledger, always within one tenant.</summary>
public static class SqliteLedgerQueries
{
    public static List<LedgerEntry> Page(SqliteConnection connection, string instanceId, LedgerFilter filter, long afterSeq, int limit) =>
        connection.Query<LedgerEntry>(
            PageSql(filter),
            new { instanceId, afterSeq, recordId = filter.RecordId, orderId = filter.OrderId, requestId = filter.RequestId, from = filter.From, to = filter.To, limit })
            .ToList();

    /// <summary>
    /// The page query, driven by the index of the most selective filter given. SQLite cannot pick an
    /// index through <c>(@x IS NULL OR column = @x)</c>, so the driving condition is written plainly
    /// and its index named: without that, every page sorted the tenant's whole ledger.
    /// </summary>
    internal static string PageSql(LedgerFilter filter)
    {
        var (index, key) = filter switch
        {
            { OrderId: not null } => ("ledger_by_order", "AND order_id = @orderId"),
            { RecordId: not null } => ("ledger_by_record", "AND record_id = @recordId"),
            { RequestId: not null } => ("ledger_by_request", "AND request_id = @requestId"),
            _ => ("ledger_by_tenant", ""),
        };

        return $"""
            SELECT seq AS Seq, instance_id AS InstanceId, record_id AS RecordId, delta AS Delta, quantity_after AS QuantityAfter,
                   operation AS Operation, reason AS Reason, order_id AS OrderId, request_id AS RequestId,
                   actor_type AS ActorType, actor_id AS ActorId, restrict_flag AS RestrictFlag, created_at AS CreatedAt
            FROM ledger INDEXED BY {index}
            WHERE instance_id = @instanceId {key} AND seq > @afterSeq
              AND (@recordId IS NULL OR record_id = @recordId)
              AND (@orderId IS NULL OR order_id = @orderId)
              AND (@requestId IS NULL OR request_id = @requestId)
              AND (@from IS NULL OR created_at >= @from)
              AND (@to IS NULL OR created_at < @to)
            ORDER BY seq
            LIMIT @limit
            """;
    }
}
