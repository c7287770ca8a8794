using InventoryPlugin.Stock;

namespace InventoryPlugin.Events;

public enum DeliveryStatus
{
    Pending,
    Delivered,
    Failed,
}

/// <summary>A tenant's subscription: where its stock events go, and how its deliveries stand.</summary>
public sealed record WebhookSubscription(
    string Id,
    string InstanceId,
    string Url,
    IReadOnlyList<StockEventType> EventTypes,
    DateTimeOffset CreatedAt,
    long Pending,
    long Delivered,
    long Failed);

/// <summary>One event's delivery to one subscription, as the merchant sees it.</summary>
public sealed record WebhookDelivery(
    string SubscriptionId,
    StockEvent Event,
    DeliveryStatus Status,
    long Attempts,
    DateTimeOffset? NextAttemptAt,
    long? LastStatusCode,
    string? LastError,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt);

/// <summary>A delivery the dispatcher should attempt now: the head of its record's queue.</summary>
public sealed record DueDelivery(string SubscriptionId, string Url, string Secret, long Attempts, long CreatedAt, StockEvent Event);

/// <summary>How one attempt went: delivered, or why not.</summary>
public sealed record AttemptResult(bool Delivered, int? StatusCode, string? Error);

/// <summary>What to write after an attempt: the delivery's new status and, while pending, when to try again.</summary>
public sealed record AttemptOutcome(DeliveryStatus Status, long NextAttemptAt, long? FinishedAt);

public static class DeliveryStatuses
{
    public static string Name(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Pending => "PENDING",
        DeliveryStatus.Delivered => "DELIVERED",
        DeliveryStatus.Failed => "FAILED",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static DeliveryStatus? Parse(string? name) => name?.ToUpperInvariant() switch
    {
        "PENDING" => DeliveryStatus.Pending,
        "DELIVERED" => DeliveryStatus.Delivered,
        "FAILED" => DeliveryStatus.Failed,
        _ => null,
    };
}
