using InventoryPlugin.Stock;

namespace InventoryPlugin.Storage;

/// <summary>The SQL both stores use to remember a record's level and to write and read stock events (the outbox).</summary>
internal static class StockEventRows
{
    public static readonly string RecordById = $"SELECT {StockRecordRow.Columns} FROM stock_records WHERE id = @id";

    public const string SetLevel = "UPDATE stock_records SET stock_level = @level WHERE id = @id";

    /// <summary>The event's cause: the record's latest ledger entry, which this transaction wrote (PostgreSQL; SQLite finds it by the record's number).</summary>
    public const string LastLedgerSeq = "SELECT MAX(seq) FROM ledger WHERE instance_id = @instanceId AND record_id = @recordId";

    public const string Insert = """
        INSERT INTO stock_events (id, instance_id, type, record_id, app_id, catalog_item_id, variant_key, location_id,
                                  quantity_before, quantity_after, available_before, available_after, low_stock_threshold,
                                  ledger_seq, operation, request_id, created_at)
        VALUES (@Id, @InstanceId, @Type, @RecordId, @AppId, @CatalogItemId, @VariantKey, @LocationId,
                @QuantityBefore, @QuantityAfter, @AvailableBefore, @AvailableAfter, @LowStockThreshold,
                @LedgerSeq, @Operation, @RequestId, @CreatedAt)
        """;

    /// <summary>A stock_events row's columns, of the table or alias <paramref name="e"/>, named like <see cref="Row"/>'s members.</summary>
    public static string Columns(string e) => $"""
        {e}.seq AS Seq, {e}.id AS Id, {e}.instance_id AS InstanceId, {e}.type AS Type, {e}.record_id AS RecordId, {e}.app_id AS AppId,
        {e}.catalog_item_id AS CatalogItemId, {e}.variant_key AS VariantKey, {e}.location_id AS LocationId,
        {e}.quantity_before AS QuantityBefore, {e}.quantity_after AS QuantityAfter, {e}.available_before AS AvailableBefore,
        {e}.available_after AS AvailableAfter, {e}.low_stock_threshold AS LowStockThreshold, {e}.ledger_seq AS LedgerSeq,
        {e}.operation AS Operation, {e}.request_id AS RequestId, {e}.created_at AS CreatedAt
        """;

    /// <summary>
    /// A tenant's events after <c>@afterSeq</c>, optionally of one <c>@type</c> or one <c>@recordId</c>
    /// (only the conditions given are written: PostgreSQL cannot type a NULL parameter on its own).
    /// </summary>
    public static string Page(bool byType, bool byRecord) => $"""
        SELECT {Columns("stock_events")} FROM stock_events
        WHERE instance_id = @instanceId AND seq > @afterSeq {(byType ? "AND type = @type" : "")} {(byRecord ? "AND record_id = @recordId" : "")}
        ORDER BY seq
        LIMIT @limit
        """;

    /// <summary>What a change did to a record's level, as the rows to write: null when nothing crossed.</summary>
    public static (string Level, Row? Event)? Judge(StockRecord after, StockLevelWatch.Touch touch, long now)
    {
        if (StockLevels.Judge(after.State, touch.QuantityDelta, touch.AllocatedDelta) is not { } change)
        {
            return null;
        }

        var level = StockLevels.Name(change.Level);
        if (change.Event is not { } type)
        {
            return (level, null);
        }

        return (level, new Row
        {
            Id = Guid.CreateVersion7().ToString(),
            InstanceId = after.Key.InstanceId,
            Type = StockLevels.Name(type),
            RecordId = after.Id,
            AppId = after.Key.AppId,
            CatalogItemId = after.Key.CatalogItemId,
            VariantKey = after.Key.VariantKey,
            LocationId = after.Key.LocationId,
            QuantityBefore = change.QuantityBefore,
            QuantityAfter = after.Quantity,
            AvailableBefore = change.AvailableBefore,
            AvailableAfter = after.State.Available,
            LowStockThreshold = after.LowStockThreshold,
            Operation = LedgerEntry.OperationName(touch.Operation),
            RequestId = touch.RequestId,
            CreatedAt = now,
        });
    }

    /// <summary>A stock_events row, as Dapper binds and maps it.</summary>
    internal sealed class Row
    {
        public long Seq { get; init; }

        public string Id { get; init; } = "";

        public string InstanceId { get; init; } = "";

        public string Type { get; init; } = "";

        public string RecordId { get; init; } = "";

        public string AppId { get; init; } = "";

        public string CatalogItemId { get; init; } = "";

        public string VariantKey { get; init; } = "";

        public string LocationId { get; init; } = "";

        public long QuantityBefore { get; init; }

        public long QuantityAfter { get; init; }

        public long AvailableBefore { get; init; }

        public long AvailableAfter { get; init; }

        public long? LowStockThreshold { get; init; }

        public long LedgerSeq { get; set; }

        public string Operation { get; init; } = "";

        public string? RequestId { get; init; }

        public long CreatedAt { get; init; }

        public StockEvent ToEvent() => new(
            Seq,
            Id,
            StockLevels.TryParse(Type, out var type) ? type : throw new InvalidOperationException($"Unknown stock event type '{Type}'."),
            RecordId,
            new StockKey(InstanceId, AppId, CatalogItemId, VariantKey, LocationId),
            QuantityBefore,
            QuantityAfter,
            AvailableBefore,
            AvailableAfter,
            LowStockThreshold,
            LedgerSeq,
            Enum.Parse<StockOperation>(Operation, ignoreCase: true),
            RequestId,
            CreatedAt);
    }
}
