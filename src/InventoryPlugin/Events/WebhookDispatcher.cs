using System.Net.Http.Headers;
using System.Text.Json;
using InventoryPlugin.Hosting;
using InventoryPlugin.Stock;
using InventoryPlugin.Storage;
using Microsoft.Extensions.Options;

namespace InventoryPlugin.Events;

/// <summary>
/// Delivers stock events to webhooks, at least once, in the background: it reads the outbox the store
/// wrote with each change, so a slow or dead receiver never touches a platform request, and a restart
/// resumes from the delivery rows (an attempt cut short by the restart is simply made again).
/// </summary>
public sealed partial class WebhookDispatcher(
    IStockEventStore store,
    IStoreSessions sessions,
    IOptions<WebhookOptions> options,
    TimeProvider clock,
    InventoryMetrics metrics,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    private const int FanOutBatch = 500;

    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        // A receiver answers for itself: following its redirects would post events to wherever it points.
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(Math.Max(1, options.Value.TimeoutSeconds)),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private WebhookOptions Options => options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var busy = false;
            try
            {
                busy = await sessions.HoldsDispatchLeaseAsync(stoppingToken).ConfigureAwait(false)
                    && await DispatchOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                LogDispatchFailed(exception);
            }

            if (!busy)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(10, Options.PollMilliseconds)), clock, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    /// <summary>Fans new events out to their subscriptions and attempts the due deliveries; true when there was work.</summary>
    private async Task<bool> DispatchOnceAsync(CancellationToken cancellationToken)
    {
        var created = await store.FanOutAsync(FanOutBatch, cancellationToken).ConfigureAwait(false);
        var due = await store.DueAsync(Math.Max(1, Options.MaxParallelDeliveries), cancellationToken).ConfigureAwait(false);
        metrics.WebhookBacklog.Set(await store.PendingCountAsync(cancellationToken).ConfigureAwait(false));
        await Task.WhenAll(due.Select(delivery => DeliverAsync(delivery, cancellationToken))).ConfigureAwait(false);
        return created > 0 || due.Count > 0;
    }

    private async Task DeliverAsync(DueDelivery delivery, CancellationToken stoppingToken)
    {
        var result = await SendAsync(delivery, stoppingToken).ConfigureAwait(false);
        if (result is null)
        {
            // Stopping: the attempt does not count, and the delivery is made again after the restart.
            return;
        }

        var outcome = DeliveryPolicy.After(result, delivery.Attempts + 1, delivery.CreatedAt, clock.GetUtcNow().ToUnixTimeMilliseconds(), Options);
        await store.RecordAttemptAsync(delivery, result, outcome, CancellationToken.None).ConfigureAwait(false);
        metrics.WebhookDeliveries.WithLabels(outcome.Status switch
        {
            DeliveryStatus.Delivered => "delivered",
            DeliveryStatus.Failed => "failed",
            _ => "retrying",
        }).Inc();
        if (outcome.Status == DeliveryStatus.Failed)
        {
            LogGaveUp(delivery.Event.Id, delivery.SubscriptionId, delivery.Attempts + 1);
        }
    }

    /// <summary>One attempt; null when it was cut short because the service is stopping.</summary>
    private async Task<AttemptResult?> SendAsync(DueDelivery delivery, CancellationToken stoppingToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(StockEventView.From(delivery.Event), JsonSerializerOptions.Web);
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add(WebhookSignature.Header, WebhookSignature.Create(delivery.Secret, clock.GetUtcNow().ToUnixTimeSeconds(), body));
        request.Headers.Add("X-Inventory-Event-Id", delivery.Event.Id);
        request.Headers.Add("X-Inventory-Event-Type", StockLevels.Name(delivery.Event.Type));
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("InventoryPlugin-Webhooks", "1"));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(Math.Max(1, Options.TimeoutSeconds)));
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var code = (int)response.StatusCode;
            return response.IsSuccessStatusCode
                ? new AttemptResult(true, code, null)
                : new AttemptResult(false, code, $"the receiver answered {code}");
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return null;
        }
        catch (OperationCanceledException)
        {
            return new AttemptResult(false, null, $"no answer within {Options.TimeoutSeconds} s");
        }
        catch (HttpRequestException exception)
        {
            return new AttemptResult(false, null, exception.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dispatching webhooks failed; will try again")]
    private partial void LogDispatchFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gave up delivering event {EventId} to webhook {SubscriptionId} after {Attempts} attempts")]
    private partial void LogGaveUp(string eventId, string subscriptionId, long attempts);
}
