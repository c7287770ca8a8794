using Dapper;
using Microsoft.Data.Sqlite;

namespace InventoryPlugin.Storage.Sqlite;

/// <summary>
/// Recomputes every record's quantity from the append-only ledger. Every change the service makes
/// writes its ledger rows in the same transaction, so any drift means a write bypassed the service
/// or the file was damaged.
/// </summary>
public static class SqliteLedgerVerification
{
    /// <param name="instanceId">One tenant, or every tenant when null.</param>
    public static LedgerVerificationReport Verify(SqliteConnection connection, string? instanceId)
    {
        // One read transaction: the counts, sums and chains all come from the same snapshot.
        using var transaction = connection.BeginTransaction(deferred: true);
        var (records, entries) = connection.QuerySingle<(long, long)>(
            """
            SELECT (SELECT COUNT(*) FROM stock_records WHERE @instanceId IS NULL OR instance_id = @instanceId),
                   (SELECT COUNT(*) FROM ledger WHERE @instanceId IS NULL OR instance_id = @instanceId)
            """,
            new { instanceId }, transaction);

        var drifts = connection.Query<RecordDrift>(
            """
            SELECT r.instance_id AS InstanceId, r.id AS RecordId, r.quantity AS Quantity,
                   COALESCE(l.total, 0) AS LedgerSum, COALESCE(l.entries, 0) AS Entries,
                   COALESCE(h.held, 0) AS Held, COALESCE(l.allocated, 0) AS AllocatedLedgerSum
            FROM stock_records r
            LEFT JOIN (SELECT instance_id, record_id, SUM(delta) AS total, COUNT(*) AS entries, SUM(allocated_delta) AS allocated
                       FROM ledger
                       WHERE @instanceId IS NULL OR instance_id = @instanceId
                       GROUP BY instance_id, record_id) l
                   ON l.instance_id = r.instance_id AND l.record_id = r.id
            LEFT JOIN (SELECT ai.record_id, SUM(ai.quantity) AS held
                       FROM allocation_items ai JOIN allocations a ON a.id = ai.allocation_id
                       WHERE a.status = 'OPEN'
                       GROUP BY ai.record_id) h
                   ON h.record_id = r.id
            WHERE (@instanceId IS NULL OR r.instance_id = @instanceId)
              AND (r.quantity <> COALESCE(l.total, 0) OR COALESCE(h.held, 0) <> COALESCE(l.allocated, 0))
            ORDER BY r.instance_id, r.id
            LIMIT @limit
            """,
            new { instanceId, limit = LedgerVerificationReport.MaxListed }, transaction).ToList();

        var broken = connection.Query<BrokenLedgerEntry>(
            """
            SELECT Seq, InstanceId, RecordId, QuantityAfter, RunningSum
            FROM (SELECT seq AS Seq, instance_id AS InstanceId, record_id AS RecordId, quantity_after AS QuantityAfter,
                         SUM(delta) OVER (PARTITION BY instance_id, record_id ORDER BY seq) AS RunningSum
                  FROM ledger
                  WHERE @instanceId IS NULL OR instance_id = @instanceId)
            WHERE QuantityAfter <> RunningSum
            ORDER BY Seq
            LIMIT @limit
            """,
            new { instanceId, limit = LedgerVerificationReport.MaxListed }, transaction).ToList();
        transaction.Commit();
        return new LedgerVerificationReport(records, entries, drifts, broken);
    }
}
