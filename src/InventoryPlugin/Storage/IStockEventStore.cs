using InventoryPlugin.Events;
using InventoryPlugin.Stock;

namespace InventoryPlugin.Storage;

/// <summary>Optional filters on a tenant's stock events; null matches everything.</summary>
public sealed record StockEventFilter(StockEventType? Type = null, string? RecordId = null);

/// <summary>
/// The outbox of stock events (written by <see cref="IStockStore"/> with the changes that cause them),
/// the tenants' webhook subscriptions, and the state of each delivery.
/// </summary>
public interface IStockEventStore
{
    /// <summary>A tenant's events after <paramref name="afterSeq"/>, in the order they were committed.</summary>
    Task<IReadOnlyList<StockEvent>> EventsPageAsync(string instanceId, StockEventFilter filter, long afterSeq, int limit, CancellationToken cancellationToken);

    /// <summary>A new subscription, delivered every matching event committed from now on.</summary>
    Task<WebhookSubscription> SubscribeAsync(string instanceId, string url, IReadOnlyList<StockEventType> eventTypes, string secret, CancellationToken cancellationToken);

    /// <summary>The tenant's subscriptions (or the one with <paramref name="id"/>), with their delivery counts.</summary>
    Task<IReadOnlyList<WebhookSubscription>> SubscriptionsAsync(string instanceId, string? id, CancellationToken cancellationToken);

    /// <summary>Removes the subscription and its delivery history; false when there was none.</summary>
    Task<bool> UnsubscribeAsync(string instanceId, string id, CancellationToken cancellationToken);

    Task<IReadOnlyList<WebhookDelivery>> DeliveriesPageAsync(
        string instanceId, string subscriptionId, DeliveryStatus? status, long afterSeq, int limit, CancellationToken cancellationToken);

    /// <summary>Creates the delivery rows of events not yet fanned out to their subscriptions; the count created.</summary>
    Task<int> FanOutAsync(int maxEvents, CancellationToken cancellationToken);

    /// <summary>Pending deliveries due now, each the oldest pending one of its record and subscription.</summary>
    Task<IReadOnlyList<DueDelivery>> DueAsync(int limit, CancellationToken cancellationToken);

    Task RecordAttemptAsync(DueDelivery delivery, AttemptResult result, AttemptOutcome outcome, CancellationToken cancellationToken);

    /// <summary>Deliveries still pending, over all tenants: the webhook backlog.</summary>
    Task<long> PendingCountAsync(CancellationToken cancellationToken);
}
