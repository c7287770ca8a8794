namespace InventoryPlugin.Events;

/// <summary>The webhook dispatcher's settings (<c>Webhooks:*</c>).</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>How often the dispatcher looks for new events and due retries when idle.</summary>
    public int PollMilliseconds { get; set; } = 1000;

    /// <summary>How long one delivery may take before it counts as failed (and is retried).</summary>
    public int TimeoutSeconds { get; set; } = 10;

    public double FirstRetrySeconds { get; set; } = 10;

    public double MaxRetrySeconds { get; set; } = 3600;

    /// <summary>After this long since it was created, a delivery that still fails is marked FAILED.</summary>
    public long GiveUpAfterSeconds { get; set; } = 86_400;

    /// <summary>Deliveries in flight at once (one per record and subscription at most, to keep their order).</summary>
    public int MaxParallelDeliveries { get; set; } = 8;

    /// <summary>Webhooks a tenant may have.</summary>
    public int MaxSubscriptionsPerTenant { get; set; } = 20;
}
