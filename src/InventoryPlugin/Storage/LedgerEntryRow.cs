using Dapper;

namespace InventoryPlugin.Storage;

/// <summary>One appended ledger entry. Every change to a record, from any source, writes exactly one.</summary>
public sealed record LedgerEntryRow(
    string InstanceId,
    string RecordId,
    long Delta,
    long QuantityAfter,
    string Operation,
    string? Reason,
    string? OrderId,
    string? RequestId,
    string ActorType,
    string? ActorId,
    bool? RestrictFlag,
    long CreatedAt)
{
    public void Append(WriteContext context) =>
        context.Connection.Execute(
            """
            INSERT INTO ledger (instance_id, record_id, delta, quantity_after, operation, reason, order_id,
                                request_id, actor_type, actor_id, restrict_flag, created_at)
            VALUES (@InstanceId, @RecordId, @Delta, @QuantityAfter, @Operation, @Reason, @OrderId,
                    @RequestId, @ActorType, @ActorId, @RestrictFlag, @CreatedAt)
            """,
            this,
            context.Transaction);
}
