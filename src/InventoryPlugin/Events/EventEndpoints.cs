using System.Globalization;
using InventoryPlugin.Merchant;
using InventoryPlugin.Stock;
using InventoryPlugin.Storage;
using Microsoft.Extensions.Options;

namespace InventoryPlugin.Events;

public sealed record StockEventPage(IReadOnlyList<StockEventView> Events, string NextCursor, bool HasMore);

public sealed record WebhookCreateRequest(string? Url, List<string?>? EventTypes);

public sealed record DeliveryCountsView(long Pending, long Delivered, long Failed);

public sealed record WebhookView(string Id, string Url, IReadOnlyList<string> EventTypes, DateTimeOffset CreatedAt, DeliveryCountsView Deliveries)
{
    public static WebhookView From(WebhookSubscription subscription) => new(
        subscription.Id,
        subscription.Url,
        subscription.EventTypes.Select(StockLevels.Name).ToList(),
        subscription.CreatedAt,
        new DeliveryCountsView(subscription.Pending, subscription.Delivered, subscription.Failed));
}

/// <summary>The answer to a new subscription: the only time its secret is shown.</summary>
public sealed record WebhookCreatedView(string Id, string Url, IReadOnlyList<string> EventTypes, DateTimeOffset CreatedAt, string Secret);

public sealed record WebhookList(IReadOnlyList<WebhookView> Webhooks);

public sealed record DeliveryView(
    StockEventView Event,
    string Status,
    long Attempts,
    DateTimeOffset? NextAttemptAt,
    long? LastStatusCode,
    string? LastError,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt);

public sealed record DeliveryPage(IReadOnlyList<DeliveryView> Deliveries, string? NextCursor);

/// <summary>Stock events for integrators who pull (<c>/events</c>) and webhooks for those who want them pushed.</summary>
public static class EventEndpoints
{
    public static void MapEventEndpoints(this MerchantRoutes routes)
    {
        routes.Read.MapGet("/events", EventsAsync).WithTags("Events")
            .WithSummary("Stock events (LOW_STOCK, OUT_OF_STOCK, BACK_IN_STOCK) in commit order; keep nextCursor and ask again for newer ones.");
        var read = routes.Read.MapGroup("/webhooks").WithTags("Webhooks");
        var write = routes.Write.MapGroup("/webhooks").WithTags("Webhooks");
        write.MapPost("/", SubscribeAsync).WithSummary("Subscribe a URL to event types; the answer holds the signing secret, shown this once.");
        read.MapGet("/", ListAsync).WithSummary("The tenant's webhooks with their delivery counts (never their secrets).");
        read.MapGet("/{id}", GetAsync).WithSummary("One webhook with its delivery counts.");
        read.MapGet("/{id}/deliveries", DeliveriesAsync).WithSummary("Each event's delivery to this webhook: status, attempts, next attempt, last error.");
        write.MapDelete("/{id}", UnsubscribeAsync).WithSummary("Remove the webhook; its pending deliveries are dropped.");
    }

    private static async Task<IResult> EventsAsync(
        Tenant tenant, IStockEventStore events, string? type, string? itemId, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var pageSize = PageSize(limit, errors);
        var afterSeq = Position(cursor, errors);
        StockEventType? eventType = null;
        if (type is not null)
        {
            if (StockLevels.TryParse(type.ToUpperInvariant(), out var parsed))
            {
                eventType = parsed;
            }
            else
            {
                errors.Add("type", "must be LOW_STOCK, OUT_OF_STOCK or BACK_IN_STOCK");
            }
        }

        if (errors.Any)
        {
            return MerchantProblems.Validation(errors);
        }

        var page = await events.EventsPageAsync(tenant.InstanceId, new StockEventFilter(eventType, Ids.Canonical(itemId)), afterSeq, pageSize, cancellationToken)
            .ConfigureAwait(false);
        // Always a cursor: a puller keeps the last one and asks again later for what came since.
        var next = page.Count > 0 ? page[^1].Seq : afterSeq;
        return TypedResults.Ok(new StockEventPage(page.Select(StockEventView.From).ToList(), Encode(next), page.Count == pageSize));
    }

    private static async Task<IResult> SubscribeAsync(
        WebhookCreateRequest? body, Tenant tenant, IStockEventStore events, IOptions<WebhookOptions> options, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        if (!Uri.TryCreate(body?.Url, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http") || url.UserInfo.Length > 0)
        {
            errors.Add("url", "must be an absolute http or https URL without credentials");
        }
        else if (body!.Url!.Length > 2000)
        {
            errors.Add("url", "must be at most 2000 characters long");
        }

        var types = new List<StockEventType>();
        var given = body?.EventTypes ?? ["LOW_STOCK", "OUT_OF_STOCK", "BACK_IN_STOCK"];
        if (given.Count == 0)
        {
            errors.Add("eventTypes", "must name at least one of LOW_STOCK, OUT_OF_STOCK, BACK_IN_STOCK (or be left out for all)");
        }

        for (var i = 0; i < given.Count; i++)
        {
            if (StockLevels.TryParse(given[i]?.ToUpperInvariant(), out var type))
            {
                if (!types.Contains(type))
                {
                    types.Add(type);
                }
            }
            else
            {
                errors.Add($"eventTypes[{i}]", "must be LOW_STOCK, OUT_OF_STOCK or BACK_IN_STOCK");
            }
        }

        if (errors.Any)
        {
            return MerchantProblems.Validation(errors);
        }

        var existing = await events.SubscriptionsAsync(tenant.InstanceId, null, cancellationToken).ConfigureAwait(false);
        if (existing.Count >= options.Value.MaxSubscriptionsPerTenant)
        {
            return MerchantProblems.Problem(StatusCodes.Status409Conflict, "TOO_MANY_WEBHOOKS",
                $"A tenant may have at most {options.Value.MaxSubscriptionsPerTenant} webhooks; delete one first.");
        }

        var secret = WebhookSignature.NewSecret();
        var created = await events.SubscribeAsync(tenant.InstanceId, url!.AbsoluteUri, types, secret, cancellationToken).ConfigureAwait(false);
        return TypedResults.Created(
            $"{MerchantEndpoints.Prefix}/webhooks/{created.Id}",
            new WebhookCreatedView(created.Id, created.Url, created.EventTypes.Select(StockLevels.Name).ToList(), created.CreatedAt, secret));
    }

    private static async Task<IResult> ListAsync(Tenant tenant, IStockEventStore events, CancellationToken cancellationToken) =>
        TypedResults.Ok(new WebhookList((await events.SubscriptionsAsync(tenant.InstanceId, null, cancellationToken).ConfigureAwait(false))
            .Select(WebhookView.From).ToList()));

    private static async Task<IResult> GetAsync(string id, Tenant tenant, IStockEventStore events, CancellationToken cancellationToken) =>
        (await events.SubscriptionsAsync(tenant.InstanceId, Ids.Canonical(id), cancellationToken).ConfigureAwait(false)) is [var subscription]
            ? TypedResults.Ok(WebhookView.From(subscription))
            : MerchantProblems.NotFound("The webhook");

    private static async Task<IResult> DeliveriesAsync(
        string id, Tenant tenant, IStockEventStore events, string? status, string? cursor, int? limit, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var pageSize = PageSize(limit, errors);
        var afterSeq = Position(cursor, errors);
        var wanted = DeliveryStatuses.Parse(status);
        if (status is not null && wanted is null)
        {
            errors.Add("status", "must be PENDING, DELIVERED or FAILED");
        }

        if (errors.Any)
        {
            return MerchantProblems.Validation(errors);
        }

        var subscriptionId = Ids.Canonical(id);
        if ((await events.SubscriptionsAsync(tenant.InstanceId, subscriptionId, cancellationToken).ConfigureAwait(false)).Count == 0)
        {
            return MerchantProblems.NotFound("The webhook");
        }

        var page = await events.DeliveriesPageAsync(tenant.InstanceId, subscriptionId, wanted, afterSeq, pageSize, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new DeliveryPage(
            page.Select(d => new DeliveryView(StockEventView.From(d.Event), DeliveryStatuses.Name(d.Status), d.Attempts, d.NextAttemptAt, d.LastStatusCode, d.LastError,
                d.CreatedAt, d.FinishedAt)).ToList(),
            page.Count == pageSize ? Encode(page[^1].Event.Seq) : null));
    }

    private static async Task<IResult> UnsubscribeAsync(string id, Tenant tenant, IStockEventStore events, CancellationToken cancellationToken) =>
        await events.UnsubscribeAsync(tenant.InstanceId, Ids.Canonical(id), cancellationToken).ConfigureAwait(false)
            ? TypedResults.NoContent()
            : MerchantProblems.NotFound("The webhook");

    private static int PageSize(int? limit, ValidationErrors errors)
    {
        var pageSize = limit ?? InventoryItemsEndpoints.DefaultPageSize;
        if (pageSize is < 1 or > InventoryItemsEndpoints.MaxPageSize)
        {
            errors.Add("limit", $"must be between 1 and {InventoryItemsEndpoints.MaxPageSize}");
        }

        return pageSize;
    }

    private static long Position(string? cursor, ValidationErrors errors)
    {
        long afterSeq = 0;
        if (!Cursor.TryDecode(cursor, out var position) || (position is not null && !long.TryParse(position, NumberStyles.None, CultureInfo.InvariantCulture, out afterSeq)))
        {
            errors.Add("cursor", "is not a cursor this API returned");
        }

        return afterSeq;
    }

    private static string Encode(long seq) => Cursor.Encode(seq.ToString(CultureInfo.InvariantCulture));

}
