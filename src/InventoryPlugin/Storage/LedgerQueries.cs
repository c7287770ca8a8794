using Dapper;
using Microsoft.Data.Sqlite;

namespace InventoryPlugin.Storage;

/// <summary>Optional filters on a tenant's ledger; times are unix milliseconds, <c>To</c> exclusive.</summary>
public sealed record LedgerFilter(string? RecordId = null, string? OrderId = null, string? RequestId = null, long? From = null, long? To = null);

/// <summary>Reads of the append-only ledger, always within one tenant.</summary>
public static class LedgerQueries
{
    public static List<LedgerEntryRow> Page(SqliteConnection connection, string instanceId, LedgerFilter filter, long afterSeq, int limit) =>
        connection.Query<LedgerEntryRow>(
            """
            SELECT seq AS Seq, instance_id AS InstanceId, record_id AS RecordId, delta AS Delta, quantity_after AS QuantityAfter,
                   operation AS Operation, reason AS Reason, order_id AS OrderId, request_id AS RequestId,
                   actor_type AS ActorType, actor_id AS ActorId, restrict_flag AS RestrictFlag, created_at AS CreatedAt
            FROM ledger
            WHERE instance_id = @instanceId AND seq > @afterSeq
              AND (@recordId IS NULL OR record_id = @recordId)
              AND (@orderId IS NULL OR order_id = @orderId)
              AND (@requestId IS NULL OR request_id = @requestId)
              AND (@from IS NULL OR created_at >= @from)
              AND (@to IS NULL OR created_at < @to)
            ORDER BY seq
            LIMIT @limit
            """,
            new { instanceId, afterSeq, recordId = filter.RecordId, orderId = filter.OrderId, requestId = filter.RequestId, from = filter.From, to = filter.To, limit })
            .ToList();
}
