using System.Text.Json;
using InventoryPlugin.Stock;

namespace InventoryPlugin.Merchant;

// The merchant API's wire shapes (JSON, camelCase). Inputs are all nullable so that a missing field
// is reported by validation with its name, not by a deserializer exception.

/// <summary>
/// Names a catalog item as the platform does. The variant comes from <c>options</c> exactly as on
/// the platform endpoints, or, for tools that exported it, from <c>variantKey</c> directly.
/// </summary>
public sealed record CatalogReferenceInput(string? AppId, string? CatalogItemId, JsonElement? Options, string? VariantKey);

public sealed record PreorderInput(bool? Enabled, long? Limit, string? Message);

public sealed record InventoryItemInput(CatalogReferenceInput? CatalogReference, string? LocationId, long? Quantity, bool? InStock, PreorderInput? Preorder, long? LowStockThreshold = null);

/// <param name="LowStockThreshold">Absent: unchanged; null: removed; a number: the new threshold.</param>
public sealed record PatchInventoryItemRequest(long? Revision, bool? TrackQuantity, long? Quantity, bool? InStock, PreorderInput? Preorder, JsonElement LowStockThreshold);

public sealed record AdjustRequest(long? Delta, string? Reason, bool? Restrict);

public sealed record QueryFilter(string? AppId, string? CatalogItemId, string? LocationId, string? AvailabilityStatus, string? StockLevel = null);

public sealed record QueryRequest(QueryFilter? Filter, string? Cursor, int? Limit);

public sealed record BulkUpsertRequest(List<InventoryItemInput?>? Items, string? ErrorPolicy);

public sealed record AvailabilityItemInput(CatalogReferenceInput? CatalogReference, string? LocationId, long? Quantity);

public sealed record AvailabilityRequest(List<AvailabilityItemInput?>? Items);

public sealed record SettingsRequest(string? DefaultLocationId, string? UnknownItemPolicy);

public sealed record CatalogReferenceView(string AppId, string CatalogItemId, string VariantKey);

public sealed record PreorderView(bool Enabled, long? Limit, string? Message, long? Remaining);

public sealed record InventoryItemView(
    string Id,
    CatalogReferenceView CatalogReference,
    string LocationId,
    bool TrackQuantity,
    long Quantity,
    bool InStock,
    string AvailabilityStatus,
    PreorderView Preorder,
    bool AutoCreated,
    long Revision,
    DateTimeOffset CreatedDate,
    DateTimeOffset UpdatedDate,
    long Allocated,
    long Available,
    long? LowStockThreshold,
    string StockLevel)
{
    public static InventoryItemView From(StockRecord record)
    {
        var status = StockRules.Status(record.State);
        return new InventoryItemView(
            record.Id,
            new CatalogReferenceView(record.Key.AppId, record.Key.CatalogItemId, record.Key.VariantKey),
            record.Key.LocationId,
            record.TrackQuantity,
            record.Quantity,
            status == Stock.AvailabilityStatus.InStock,
            StatusName(status),
            new PreorderView(record.Preorder.Enabled, record.Preorder.Limit, record.Preorder.Message, StockRules.PreorderRemaining(record.State)),
            record.AutoCreated,
            record.Revision,
            record.CreatedDate,
            record.UpdatedDate,
            record.Allocated,
            record.State.Available,
            record.LowStockThreshold,
            StockLevels.Name(StockLevels.Of(record.State)));
    }

    public static string StatusName(AvailabilityStatus status) => status switch
    {
        Stock.AvailabilityStatus.InStock => "IN_STOCK",
        Stock.AvailabilityStatus.Preorder => "PREORDER",
        _ => "OUT_OF_STOCK",
    };
}

public sealed record QueryResponse(IReadOnlyList<InventoryItemView> Items, string? NextCursor);

public sealed record BulkRowResult(int Index, string Status, string? Id, IDictionary<string, string[]>? Errors);

public sealed record BulkUpsertResponse(bool Applied, IReadOnlyList<BulkRowResult> Results);

public sealed record AvailabilityItemView(
    CatalogReferenceView CatalogReference,
    string LocationId,
    bool Found,
    string? Id,
    bool? TrackQuantity,
    long? Quantity,
    bool? InStock,
    string AvailabilityStatus,
    PreorderView? Preorder,
    bool? CanFulfil,
    long? Allocated = null,
    long? Available = null);

public sealed record AvailabilityResponse(IReadOnlyList<AvailabilityItemView> Items);

public sealed record LedgerEntryView(
    long Seq,
    string ItemId,
    long Delta,
    long QuantityAfter,
    string Operation,
    string? Reason,
    string? OrderId,
    string? RequestId,
    string ActorType,
    string? ActorId,
    bool? Restrict,
    DateTimeOffset CreatedDate);

public sealed record LedgerPage(IReadOnlyList<LedgerEntryView> Entries, string? NextCursor);

public sealed record NetChange(string ItemId, long Delta);

public sealed record OrderView(string OrderId, IReadOnlyList<LedgerEntryView> Entries, IReadOnlyList<NetChange> NetChanges);

public sealed record DriftView(string ItemId, long Quantity, long LedgerSum, long Drift, long Entries, long Held, long AllocatedLedgerSum);

public sealed record BrokenEntryView(long Seq, string ItemId, long QuantityAfter, long RunningSum);

/// <summary>The tenant's records recomputed from the ledger; lists hold at most 1000 items each.</summary>
public sealed record LedgerVerificationView(bool Consistent, long Records, long Entries, IReadOnlyList<DriftView> Drifts, IReadOnlyList<BrokenEntryView> BrokenEntries);

public sealed record SettingsView(string DefaultLocationId, string UnknownItemPolicy);

public sealed record AllocationCreateRequest(IReadOnlyList<AvailabilityItemInput?>? Items, long? TtlSeconds, string? OrderId, string? IdempotencyKey);

public sealed record AllocationItemView(string ItemId, JsonElement CatalogReference, string LocationId, long Quantity);

public sealed record AllocationView(
    string Id,
    string Status,
    string? OrderId,
    string? IdempotencyKey,
    DateTimeOffset ExpiresAt,
    DateTimeOffset CreatedDate,
    DateTimeOffset? ClosedDate,
    IReadOnlyList<AllocationItemView> Items)
{
    /// <summary>As a reader sees it at <paramref name="nowMs"/>: an open allocation past its expiry is EXPIRED.</summary>
    public static AllocationView From(Allocation allocation, long nowMs) => new(
        allocation.Id,
        Allocation.StatusName(allocation.StatusAt(nowMs)),
        allocation.OrderId,
        allocation.IdempotencyKey,
        DateTimeOffset.FromUnixTimeMilliseconds(allocation.ExpiresAtMs),
        DateTimeOffset.FromUnixTimeMilliseconds(allocation.CreatedAtMs),
        allocation.ClosedAtMs is { } closed ? DateTimeOffset.FromUnixTimeMilliseconds(closed) : null,
        allocation.Items.Select(i => new AllocationItemView(i.RecordId, JsonDocument.Parse(i.CatalogReferenceJson).RootElement.Clone(), i.LocationId, i.Quantity)).ToList());
}
