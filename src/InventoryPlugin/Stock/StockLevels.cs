namespace InventoryPlugin.Stock;

/// <summary>Where a record's available stock stands against its low-stock threshold.</summary>
public enum StockLevel
{
    /// <summary>Above the threshold (or no threshold and some available).</summary>
    Ok,

    /// <summary>Available, but at or below the threshold.</summary>
    Low,

    /// <summary>Nothing available: available ≤ 0, or an in-stock-tracked record marked out of stock.</summary>
    Out,
}

public enum StockEventType
{
    LowStock,
    OutOfStock,
    BackInStock,
}

/// <summary>What a change did to a record's level: the level to remember, and the event it raises, if any.</summary>
/// <param name="QuantityBefore">The record's quantity before the transaction's changes.</param>
/// <param name="AvailableBefore">Its available units before them.</param>
public sealed record LevelChange(StockLevel Level, StockEventType? Event, long QuantityBefore, long AvailableBefore);

/// <summary>
/// Stock events are edge-triggered: each record remembers the level its last event announced, and a
/// change raises an event only when it moves the record to another level. Dropping from OK to LOW raises
/// LOW_STOCK once, however many changes follow below the line; reaching OUT raises OUT_OF_STOCK; leaving
/// OUT raises BACK_IN_STOCK. Rising from LOW back above the threshold raises nothing but re-arms LOW_STOCK.
/// </summary>
public static class StockLevels
{
    public static StockLevel Of(StockRecordState record)
    {
        if (!record.TrackQuantity)
        {
            return record.InStock ? StockLevel.Ok : StockLevel.Out;
        }

        if (record.Available <= 0)
        {
            return StockLevel.Out;
        }

        return record.Available <= record.LowStockThreshold ? StockLevel.Low : StockLevel.Ok;
    }

    /// <summary>A new record starts at the level it is created at: creating one announces nothing.</summary>
    public static StockLevel OfCreated(NewStockRecord record) =>
        Of(new StockRecordState("", record.TrackQuantity, record.Quantity, record.InStock, false, null, 1, LowStockThreshold: record.LowStockThreshold));

    public static StockEventType? Crossing(StockLevel announced, StockLevel now) => (announced, now) switch
    {
        _ when announced == now => null,
        (_, StockLevel.Out) => StockEventType.OutOfStock,
        (StockLevel.Out, _) => StockEventType.BackInStock,
        (StockLevel.Ok, StockLevel.Low) => StockEventType.LowStock,
        _ => null,
    };

    /// <summary>
    /// Judges a record after a transaction changed it by <paramref name="quantityDelta"/> on hand and
    /// <paramref name="allocatedDelta"/> held (the sums of its ledger entries); null when its level stays.
    /// </summary>
    public static LevelChange? Judge(StockRecordState after, long quantityDelta, long allocatedDelta)
    {
        var level = Of(after);
        if (level == after.AnnouncedLevel)
        {
            return null;
        }

        return new LevelChange(level, Crossing(after.AnnouncedLevel, level), after.Quantity - quantityDelta, after.Available - quantityDelta + allocatedDelta);
    }

    /// <summary>The level as stored and shown: <c>OK</c>, <c>LOW</c> or <c>OUT</c>.</summary>
    public static string Name(StockLevel level) => level switch
    {
        StockLevel.Ok => "OK",
        StockLevel.Low => "LOW",
        StockLevel.Out => "OUT",
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, null),
    };

    /// <summary>A level by its name (any case); null for anything else.</summary>
    public static StockLevel? Parse(string? name) => name?.ToUpperInvariant() switch
    {
        "OK" => StockLevel.Ok,
        "LOW" => StockLevel.Low,
        "OUT" => StockLevel.Out,
        _ => null,
    };

    /// <summary>The event type as stored and sent: <c>LOW_STOCK</c>, <c>OUT_OF_STOCK</c> or <c>BACK_IN_STOCK</c>.</summary>
    public static string Name(StockEventType type) => type switch
    {
        StockEventType.LowStock => "LOW_STOCK",
        StockEventType.OutOfStock => "OUT_OF_STOCK",
        StockEventType.BackInStock => "BACK_IN_STOCK",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static bool TryParse(string? name, out StockEventType type)
    {
        (var known, type) = name switch
        {
            "LOW_STOCK" => (true, StockEventType.LowStock),
            "OUT_OF_STOCK" => (true, StockEventType.OutOfStock),
            "BACK_IN_STOCK" => (true, StockEventType.BackInStock),
            _ => (false, default),
        };
        return known;
    }
}
