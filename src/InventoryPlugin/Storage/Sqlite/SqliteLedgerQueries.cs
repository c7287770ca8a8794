using Dapper;
using InventoryPlugin.Stock;
using Microsoft.Data.Sqlite;

namespace InventoryPlugin.Storage.Sqlite;

/// <summary>Reads of the append-only ledger, always within one tenant.</summary>
public static class SqliteLedgerQueries
{
    public static List<LedgerEntry> Page(SqliteConnection connection, string instanceId, LedgerFilter filter, long afterSeq, int limit)
    {
        (long? First, long? Last)? span = null;
        if (filter is { RequestId: not null, OrderId: null, RecordId: null })
        {
            span = connection.QuerySingleOrDefault<(long? First, long? Last)?>(
                "SELECT ledger_first_seq, ledger_last_seq FROM idempotency WHERE instance_id = @instanceId AND request_id = @requestId",
                new { instanceId, requestId = filter.RequestId });
            if (span is { First: null })
            {
                // The request is known and wrote no entries (refused, or replayed from a refusal).
                return [];
            }
        }

        return connection.Query<LedgerEntry>(
            PageSql(filter, bySpan: span is not null),
            new
            {
                instanceId, afterSeq, recordId = filter.RecordId, orderId = filter.OrderId, requestId = filter.RequestId, from = filter.From, to = filter.To, limit,
                first = span?.First, last = span?.Last,
            })
            .ToList();
    }

    /// <summary>The number of <c>@recordId</c> (schema version 6): the key of ledger_by_record. NULL for an unknown id, which finds nothing.</summary>
    internal const string RecordNumber = "SELECT no FROM record_numbers WHERE record_id = @recordId";

    /// <summary>
    /// The page query, driven by the index of the most selective filter given. SQLite cannot pick an
    /// index through <c>(@x IS NULL OR column = @x)</c>, so the driving condition is written plainly
    /// and its index named: without that, every page sorted the tenant's whole ledger.
    /// </summary>
    /// <remarks>
    /// A requestId alone is looked up through the request's idempotency row (<paramref name="bySpan"/>:
    /// the seqs its entries lie between, a range of the primary key); once that row is pruned, the
    /// tenant's ledger is walked instead (schema version 5 dropped the per-entry requestId index). A record's
    /// entries are found by its number, which outlives the record, and an order's by its id alone
    /// (schema version 6): both keys are unique across tenants in practice, and the tenant is still
    /// checked on every row, so a shared id costs extra reads, never a foreign entry.
    /// </remarks>
    internal static string PageSql(LedgerFilter filter, bool bySpan = false)
    {
        var (index, key) = filter switch
        {
            { OrderId: not null } => ("INDEXED BY ledger_by_order", "AND order_id = @orderId"),
            { RecordId: not null } => ("INDEXED BY ledger_by_record", $"AND record_no = ({RecordNumber})"),
            { RequestId: not null } when bySpan => ("", "AND seq >= @first AND seq <= @last"),
            _ => ("INDEXED BY ledger_by_tenant", ""),
        };

        return $"""
            SELECT seq AS Seq, instance_id AS InstanceId, record_id AS RecordId, delta AS Delta, quantity_after AS QuantityAfter,
                   operation AS Operation, reason AS Reason, order_id AS OrderId, request_id AS RequestId,
                   actor_type AS ActorType, actor_id AS ActorId, restrict_flag AS RestrictFlag, created_at AS CreatedAt
            FROM ledger {index}
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
