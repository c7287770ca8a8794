using Dapper;
using InventoryPlugin.Stock;

namespace InventoryPlugin.Storage;

/// <summary>The allocation SQL both stores run (Dapper, <c>@name</c> parameters), and its rows.</summary>
internal static class AllocationRows
{
    private const string Columns = """
        id AS Id, instance_id AS InstanceId, status AS Status, order_id AS OrderId, idempotency_key AS IdempotencyKey,
        expires_at AS ExpiresAt, created_at AS CreatedAt, closed_at AS ClosedAt
        """;

    public const string ById = $"SELECT {Columns} FROM allocations WHERE instance_id = @instanceId AND id = @id";

    public const string ByIdempotencyKey = $"SELECT {Columns} FROM allocations WHERE instance_id = @instanceId AND idempotency_key = @idempotencyKey";

    public const string Items = """
        SELECT ai.record_id AS RecordId, r.location_id AS LocationId, ai.catalog_reference AS CatalogReferenceJson, ai.quantity AS Quantity
        FROM allocation_items ai LEFT JOIN stock_records r ON r.id = ai.record_id
        WHERE ai.allocation_id = @id
        ORDER BY ai.record_id
        """;

    public const string Insert = """
        INSERT INTO allocations (id, instance_id, status, order_id, idempotency_key, expires_at, created_at)
        VALUES (@Id, @InstanceId, 'OPEN', @OrderId, @IdempotencyKey, @ExpiresAtMs, @CreatedAtMs)
        """;

    public const string InsertItem = """
        INSERT INTO allocation_items (allocation_id, record_id, quantity, catalog_reference)
        VALUES (@allocationId, @RecordId, @Quantity, @CatalogReferenceJson)
        """;

    public const string Close = "UPDATE allocations SET status = @status, closed_at = @now, closed_by = @closedBy WHERE id = @id AND status = 'OPEN'";

    /// <summary>The open, unexpired holds of one order, per record: what its platform decrement may use.</summary>
    public const string HeldForOrder = """
        SELECT a.id AS AllocationId, ai.record_id AS RecordId, ai.quantity AS Quantity
        FROM allocations a JOIN allocation_items ai ON ai.allocation_id = a.id
        WHERE a.instance_id = @instanceId AND a.order_id = @orderId AND a.status = 'OPEN' AND a.expires_at > @now
        """;

    /// <summary>The quantity of a record now, for the entries of holds, which leave it unchanged.</summary>
    public const string QuantityOf = "SELECT quantity FROM stock_records WHERE id = @recordId";

    public const string Due = "SELECT id AS Id, instance_id AS InstanceId FROM allocations WHERE status = 'OPEN' AND expires_at <= @now ORDER BY expires_at LIMIT @max";

    public static string Name(AllocationStatus status) => Allocation.StatusName(status);

    /// <summary>An allocation with its items, within its tenant (synchronous: the SQLite writer and reader).</summary>
    public static Allocation? Load(System.Data.IDbConnection connection, System.Data.IDbTransaction? transaction, string instanceId, string id) =>
        connection.QuerySingleOrDefault<Row>(ById, new { instanceId, id }, transaction)?
            .ToAllocation(connection.Query<ItemRow>(Items, new { id }, transaction).Select(i => i.ToItem()));

    public sealed class Row
    {
        public string Id { get; init; } = "";

        public string InstanceId { get; init; } = "";

        public string Status { get; init; } = "";

        public string? OrderId { get; init; }

        public string? IdempotencyKey { get; init; }

        public long ExpiresAt { get; init; }

        public long CreatedAt { get; init; }

        public long? ClosedAt { get; init; }

        public Allocation ToAllocation(IEnumerable<AllocationItem> items) => new(
            Id, InstanceId, Allocation.ParseStatus(Status), OrderId, IdempotencyKey, ExpiresAt, CreatedAt, ClosedAt, items.ToList());
    }

    public sealed class ItemRow
    {
        public string RecordId { get; init; } = "";

        public string? LocationId { get; init; }

        public string CatalogReferenceJson { get; init; } = "";

        public long Quantity { get; init; }

        public AllocationItem ToItem() => new(RecordId, LocationId ?? "", CatalogReferenceJson, Quantity);
    }

    public sealed class HeldRow
    {
        public string AllocationId { get; init; } = "";

        public string RecordId { get; init; } = "";

        public long Quantity { get; init; }
    }
}
