namespace InventoryPlugin.Stock;

public enum StockOperation
{
    Decrement,
    Increment,
    Adjust,
    Set,

    /// <summary>Units held for an allocation (quantity unchanged).</summary>
    Allocate,

    /// <summary>An allocation let go by the merchant (quantity unchanged).</summary>
    Release,

    /// <summary>An allocation past its expiry let go by the sweep (quantity unchanged).</summary>
    Expire,

    /// <summary>An allocation turned into a decrement, or consumed by the platform decrement of its order.</summary>
    Commit,
}

/// <summary>Who asked for a change: the platform identity or the merchant token's subject.</summary>
public sealed record Actor(string Type, string? Id);

/// <summary>One line of a platform request, with its variant key already derived.</summary>
/// <param name="LocationId">The line's location, or <c>null</c> for the tenant's default.</param>
/// <param name="CatalogReferenceJson">The line's catalog reference as sent, echoed back in refusals.</param>
public sealed record StockLine(
    string AppId,
    string CatalogItemId,
    string VariantKey,
    string? LocationId,
    int Quantity,
    string CatalogReferenceJson);

/// <summary>A Decrement or Increment Availability request, verified and validated.</summary>
/// <param name="RequestDigest">SHA-256 of <c>data.request</c>: tells a retry from a reuse of its requestId.</param>
/// <param name="Restrict">Only for decrements: refuse the whole request if any record would pass its floor.</param>
public sealed record StockChange(
    StockOperation Operation,
    string InstanceId,
    string? RequestId,
    byte[] RequestDigest,
    string OrderId,
    string? Reason,
    bool Restrict,
    Actor Actor,
    IReadOnlyList<StockLine> Lines);

/// <summary>One record a restricted decrement could not take, as reported to the platform.</summary>
public sealed record RefusedItem(
    string CatalogReferenceJson,
    string LocationId,
    long RequestedQuantity,
    long AvailableQuantity,
    RefusalCause Cause);

/// <summary>What became of a <see cref="StockChange"/>. Expected outcomes are values, not exceptions.</summary>
public abstract record ChangeOutcome
{
    private ChangeOutcome()
    {
    }

    public sealed record Applied : ChangeOutcome;

    public sealed record Refused(IReadOnlyList<RefusedItem> Items) : ChangeOutcome;

    /// <summary>The same request was seen before: its stored answer, unchanged.</summary>
    public sealed record Replayed(int StatusCode, string Body) : ChangeOutcome;

    /// <summary>The requestId was used before for a different request.</summary>
    public sealed record RequestIdReused : ChangeOutcome;
}
