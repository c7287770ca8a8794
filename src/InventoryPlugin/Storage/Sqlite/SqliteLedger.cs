using InventoryPlugin.Stock;

namespace InventoryPlugin.Storage.Sqlite;

internal static class SqliteLedger
{
    /// <summary>
    /// Appends <paramref name="entry"/> in the writer's transaction, through a prepared statement; returns its seq.
    /// The record's number (schema version 6) is looked up in the same statement, with the query the readers use: its index pages are hot.
    /// </summary>
    public static long Append(this LedgerEntry entry, WriteContext context)
    {
        var seq = context.Prepared(
            $"""
            INSERT INTO ledger (instance_id, record_id, record_no, delta, quantity_after, operation, reason, order_id,
                                request_id, actor_type, actor_id, restrict_flag, created_at, allocated_delta, allocation_id)
            VALUES (@InstanceId, @recordId, ({SqliteLedgerQueries.RecordNumber}), @Delta, @QuantityAfter, @Operation, @Reason, @OrderId,
                    @RequestId, @ActorType, @ActorId, @RestrictFlag, @CreatedAt, @AllocatedDelta, @AllocationId)
            """,
            ("@InstanceId", entry.InstanceId), ("@recordId", entry.RecordId), ("@Delta", entry.Delta), ("@QuantityAfter", entry.QuantityAfter),
            ("@Operation", LedgerEntry.OperationName(entry.Operation)), ("@Reason", entry.Reason), ("@OrderId", entry.OrderId),
            ("@RequestId", entry.RequestId), ("@ActorType", entry.ActorType), ("@ActorId", entry.ActorId),
            ("@RestrictFlag", entry.RestrictFlag), ("@CreatedAt", entry.CreatedAt), ("@AllocatedDelta", entry.AllocatedDelta),
            ("@AllocationId", entry.AllocationId)).ExecuteInsert();
        context.Watch.Saw(entry);
        return seq;
    }
}
