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
            "@InstanceId", "@RecordId", "@Delta", "@QuantityAfter", "@Operation", "@Reason", "@OrderId",
            "@RequestId", "@ActorType", "@ActorId", "@RestrictFlag", "@CreatedAt");
        var parameters = command.Parameters;
        parameters[0].Value = InstanceId;
        parameters[1].Value = RecordId;
        parameters[2].Value = Delta;
        parameters[3].Value = QuantityAfter;
        parameters[4].Value = Operation;
        parameters[5].Value = (object?)Reason ?? DBNull.Value;
        parameters[6].Value = (object?)OrderId ?? DBNull.Value;
        parameters[7].Value = (object?)RequestId ?? DBNull.Value;
        parameters[8].Value = ActorType;
        parameters[9].Value = (object?)ActorId ?? DBNull.Value;
        parameters[10].Value = (object?)RestrictFlag ?? DBNull.Value;
        parameters[11].Value = CreatedAt;
        command.ExecuteNonQuery();
    }
}
