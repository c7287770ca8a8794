using InventoryPlugin.Merchant;
using InventoryPlugin.Stock;

namespace InventoryPlugin.Events;

public sealed record StockQuantitiesView(long Quantity, long Available);

/// <summary>What caused an event: the record's last ledger entry in the change, and the platform request if one did.</summary>
public sealed record StockEventCauseView(long LedgerSeq, string Operation, string? RequestId);

/// <summary>A stock event as <c>GET /api/v1/events</c> lists it and as a webhook delivers it: the same JSON.</summary>
public sealed record StockEventView(
    string Id,
    long Sequence,
    string Type,
    string InstanceId,
    DateTimeOffset OccurredAt,
    string InventoryItemId,
    CatalogReferenceView CatalogReference,
    string LocationId,
    StockQuantitiesView Before,
    StockQuantitiesView After,
    long? LowStockThreshold,
    StockEventCauseView Cause)
{
    public static StockEventView From(StockEvent stockEvent) => new(
        stockEvent.Id,
        stockEvent.Seq,
        StockLevels.Name(stockEvent.Type),
        stockEvent.Key.InstanceId,
        DateTimeOffset.FromUnixTimeMilliseconds(stockEvent.CreatedAt),
        stockEvent.RecordId,
        new CatalogReferenceView(stockEvent.Key.AppId, stockEvent.Key.CatalogItemId, stockEvent.Key.VariantKey),
        stockEvent.Key.LocationId,
        new StockQuantitiesView(stockEvent.QuantityBefore, stockEvent.AvailableBefore),
        new StockQuantitiesView(stockEvent.QuantityAfter, stockEvent.AvailableAfter),
        stockEvent.LowStockThreshold,
        new StockEventCauseView(stockEvent.LedgerSeq, LedgerEntry.OperationName(stockEvent.Operation), stockEvent.RequestId));
}
