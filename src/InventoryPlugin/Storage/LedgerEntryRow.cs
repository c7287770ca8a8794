namespace InventoryPlugin.Storage;

/// <summary>One appended ledger entry. Every change to a record, from any source, writes exactly one.</summary>
public sealed record LedgerEntryRow
{
    /// <summary>The entry's position in the ledger; assigned on append (0 before).</summary>
    public long Seq { get; init; }

    public required string InstanceId { get; init; }

    public required string RecordId { get; init; }

    public required long Delta { get; init; }

    public required long QuantityAfter { get; init; }

    public required string Operation { get; init; }

    public string? Reason { get; init; }

    public string? OrderId { get; init; }

    public string? RequestId { get; init; }

    public required string ActorType { get; init; }

    public string? ActorId { get; init; }

    /// <summary>The decrement's restrictInventoryValue; null for other operations.</summary>
    public bool? RestrictFlag { get; init; }

    public required long CreatedAt { get; init; }

    /// <summary>Appends this entry in the writer's transaction, through a prepared command.</summary>
    public void Append(WriteContext context)
    {
        var command = context.Prepared(
            """
            INSERT INTO ledger (instance_id, record_id, delta, quantity_after, operation, reason, order_id,
                                request_id, actor_type, actor_id, restrict_flag, created_at)
            VALUES (@InstanceId, @RecordId, @Delta, @QuantityAfter, @Operation, @Reason, @OrderId,
                    @RequestId, @ActorType, @ActorId, @RestrictFlag, @CreatedAt)
            """,
            ("@InstanceId", InstanceId), ("@RecordId", RecordId), ("@Delta", Delta), ("@QuantityAfter", QuantityAfter),
            ("@Operation", Operation), ("@Reason", Reason), ("@OrderId", OrderId), ("@RequestId", RequestId),
            ("@ActorType", ActorType), ("@ActorId", ActorId), ("@RestrictFlag", RestrictFlag), ("@CreatedAt", CreatedAt));
        command.ExecuteNonQuery();
    }
}
