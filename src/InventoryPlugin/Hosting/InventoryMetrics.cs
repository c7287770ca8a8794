using Prometheus;

namespace InventoryPlugin.Hosting;

/// <summary>
/// The service's Prometheus metrics, on a registry of its own (one per app, so two hosts in one
/// process never share counters), served at <c>/metrics</c>. docs/operations.md describes each.
/// </summary>
public sealed class InventoryMetrics
{
    public InventoryMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        var factory = Metrics.WithCustomRegistry(Registry);
        PlatformRequests = factory.CreateCounter(
            "inventory_platform_requests_total", "Platform requests by operation (decrement, increment) and outcome (applied, refused = 428, replayed, ...).",
            new CounterConfiguration { LabelNames = ["operation", "outcome"] });
        PlatformDuration = factory.CreateHistogram(
            "inventory_platform_request_duration_seconds", "Time from the body's first byte read to the answer, per operation.",
            new HistogramConfiguration { LabelNames = ["operation"], Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14) });
        BatchSize = factory.CreateHistogram(
            "inventory_store_commit_batch_size", "Writes committed together by the SQLite writer's group commit.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 2, 10) });
        QueueDepth = factory.CreateGauge("inventory_store_queue_depth", "Writes waiting for the SQLite writer when it last took a batch.");
        AllocationsExpired = factory.CreateCounter("inventory_allocations_expired_total", "Allocations closed by the expiry sweep.");
        WebhookBacklog = factory.CreateGauge(
            "inventory_webhook_backlog", "Webhook deliveries pending (waiting for their first attempt or a retry), as the dispatcher last counted them.");
        WebhookDeliveries = factory.CreateCounter(
            "inventory_webhook_attempts_total", "Webhook delivery attempts by outcome (delivered, retrying, failed = given up).",
            new CounterConfiguration { LabelNames = ["outcome"] });
    }

    public CollectorRegistry Registry { get; }

    public Counter PlatformRequests { get; }

    public Histogram PlatformDuration { get; }

    public Histogram BatchSize { get; }

    public Gauge QueueDepth { get; }

    public Counter AllocationsExpired { get; }

    public Gauge WebhookBacklog { get; }

    public Counter WebhookDeliveries { get; }
}
