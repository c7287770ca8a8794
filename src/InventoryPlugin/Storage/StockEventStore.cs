using Dapper;
using InventoryPlugin.Events;
using InventoryPlugin.Stock;

namespace InventoryPlugin.Storage;

/// <summary>
/// Stock events and webhooks, for either store: this SQL is the same on SQLite and PostgreSQL, and
/// <see cref="IStoreSessions"/> runs it on the configured one.
/// </summary>
public sealed class StockEventStore(IStoreSessions sessions, TimeProvider clock) : IStockEventStore
{
    private const string SubscriptionColumns = """
        s.id AS Id, s.instance_id AS InstanceId, s.url AS Url, s.event_types AS EventTypes, s.created_at AS CreatedAt,
        (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.subscription_id = s.id AND d.status = 'PENDING') AS Pending,
        (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.subscription_id = s.id AND d.status = 'DELIVERED') AS Delivered,
        (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.subscription_id = s.id AND d.status = 'FAILED') AS Failed
        """;

    private const string DeliveryColumns = """
        d.subscription_id AS SubscriptionId, d.status AS Status, CAST(d.attempts AS BIGINT) AS Attempts, d.next_attempt_at AS NextAttemptAt,
        CAST(d.last_status_code AS BIGINT) AS LastStatusCode, d.last_error AS LastError, d.created_at AS CreatedAt, d.finished_at AS FinishedAt
        """;

    /// <summary>
    /// A delivery waits while an earlier one of the same record and subscription is pending: a receiver
    /// sees each record's events in the order they happened, even across retries.
    /// </summary>
    private static readonly string DueSql = $"""
        SELECT d.subscription_id AS SubscriptionId, s.url AS Url, s.secret AS Secret, CAST(d.attempts AS BIGINT) AS Attempts,
               d.created_at AS DeliveryCreatedAt, {StockEventRows.Columns("e")}
        FROM webhook_deliveries d
        JOIN webhook_subscriptions s ON s.id = d.subscription_id
        JOIN stock_events e ON e.seq = d.event_seq
        WHERE d.status = 'PENDING' AND d.next_attempt_at <= @now
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                          WHERE p.subscription_id = d.subscription_id AND p.record_id = d.record_id
                            AND p.status = 'PENDING' AND p.event_seq < d.event_seq)
        ORDER BY d.event_seq
        LIMIT @limit
        """;

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    public Task<IReadOnlyList<StockEvent>> EventsPageAsync(string instanceId, StockEventFilter filter, long afterSeq, int limit, CancellationToken cancellationToken) =>
        sessions.ReadAsync<IReadOnlyList<StockEvent>>(async connection =>
        {
            var type = filter.Type is { } t ? StockLevels.Name(t) : null;
            var rows = await connection.QueryAsync<StockEventRows.Row>(
                StockEventRows.Page(type is not null, filter.RecordId is not null),
                new { instanceId, afterSeq, type, recordId = filter.RecordId, limit }).ConfigureAwait(false);
            return rows.Select(r => r.ToEvent()).ToList();
        }, cancellationToken);

    public Task<WebhookSubscription> SubscribeAsync(
        string instanceId, string url, IReadOnlyList<StockEventType> eventTypes, string secret, CancellationToken cancellationToken) =>
        sessions.WriteAsync(async (connection, transaction) =>
        {
            var id = Guid.CreateVersion7().ToString();
            // Starts after the newest event committed now: a subscription hears what happens from now on.
            await connection.ExecuteAsync(
                """
                INSERT INTO webhook_subscriptions (id, instance_id, url, event_types, secret, fanned_out_seq, created_at)
                VALUES (@id, @instanceId, @url, @eventTypes, @secret, (SELECT COALESCE(MAX(seq), 0) FROM stock_events), @now)
                """,
                new { id, instanceId, url, eventTypes = string.Join(',', eventTypes.Select(StockLevels.Name)), secret, now = Now },
                transaction).ConfigureAwait(false);
            return (await SubscriptionsAsync(connection, instanceId, id).ConfigureAwait(false)).Single();
        }, cancellationToken);

    public Task<IReadOnlyList<WebhookSubscription>> SubscriptionsAsync(string instanceId, string? id, CancellationToken cancellationToken) =>
        sessions.ReadAsync(connection => SubscriptionsAsync(connection, instanceId, id), cancellationToken);

    public Task<bool> UnsubscribeAsync(string instanceId, string id, CancellationToken cancellationToken) =>
        sessions.WriteAsync(async (connection, transaction) =>
        {
            var removed = await connection.ExecuteAsync(
                "DELETE FROM webhook_subscriptions WHERE instance_id = @instanceId AND id = @id", new { instanceId, id }, transaction).ConfigureAwait(false);
            if (removed == 1)
            {
                await connection.ExecuteAsync("DELETE FROM webhook_deliveries WHERE subscription_id = @id", new { id }, transaction).ConfigureAwait(false);
            }

            return removed == 1;
        }, cancellationToken);

    public Task<IReadOnlyList<WebhookDelivery>> DeliveriesPageAsync(
        string instanceId, string subscriptionId, DeliveryStatus? status, long afterSeq, int limit, CancellationToken cancellationToken) =>
        sessions.ReadAsync<IReadOnlyList<WebhookDelivery>>(async connection =>
        {
            var rows = await connection.QueryAsync<DeliveryRow, StockEventRows.Row, WebhookDelivery>(
                $"""
                SELECT {DeliveryColumns}, {StockEventRows.Columns("e")}
                FROM webhook_deliveries d
                JOIN webhook_subscriptions s ON s.id = d.subscription_id
                JOIN stock_events e ON e.seq = d.event_seq
                WHERE s.instance_id = @instanceId AND d.subscription_id = @subscriptionId AND d.event_seq > @afterSeq
                  {(status is null ? "" : "AND d.status = @status")}
                ORDER BY d.event_seq
                LIMIT @limit
                """,
                (delivery, stockEvent) => delivery.ToDelivery(stockEvent.ToEvent()),
                new { instanceId, subscriptionId, afterSeq, status = status is { } s ? DeliveryStatuses.Name(s) : null, limit },
                splitOn: "Seq").ConfigureAwait(false);
            return rows.ToList();
        }, cancellationToken);

    private const string FanOutProgressSql =
        "SELECT (SELECT COALESCE(MAX(seq), 0) FROM stock_events), (SELECT MIN(fanned_out_seq) FROM webhook_subscriptions)";

    public async Task<int> FanOutAsync(int maxEvents, CancellationToken cancellationToken)
    {
        // Looked at on a reader first: an idle dispatcher never takes the (SQLite) writer's time.
        var (newest, behind) = await sessions.ReadAsync(
            connection => connection.QuerySingleAsync<(long, long?)>(FanOutProgressSql), cancellationToken).ConfigureAwait(false);
        return behind is { } from && newest > from ? await FanOutNowAsync(maxEvents, cancellationToken).ConfigureAwait(false) : 0;
    }

    private Task<int> FanOutNowAsync(int maxEvents, CancellationToken cancellationToken) =>
        sessions.WriteAsync(async (connection, transaction) =>
        {
            var (newest, behind) = await connection.QuerySingleAsync<(long, long?)>(FanOutProgressSql, transaction: transaction).ConfigureAwait(false);
            if (behind is not { } from || newest <= from)
            {
                return 0;
            }

            var upTo = Math.Min(newest, from + maxEvents);
            var created = await connection.ExecuteAsync(
                """
                INSERT INTO webhook_deliveries (subscription_id, event_seq, record_id, status, attempts, next_attempt_at, created_at)
                SELECT s.id, e.seq, e.record_id, 'PENDING', 0, @now, @now
                FROM webhook_subscriptions s
                JOIN stock_events e ON e.instance_id = s.instance_id AND e.seq > s.fanned_out_seq AND e.seq <= @upTo
                WHERE (',' || s.event_types || ',') LIKE ('%,' || e.type || ',%')
                ON CONFLICT DO NOTHING
                """,
                new { upTo, now = Now },
                transaction).ConfigureAwait(false);
            await connection.ExecuteAsync(
                "UPDATE webhook_subscriptions SET fanned_out_seq = @upTo WHERE fanned_out_seq < @upTo", new { upTo }, transaction).ConfigureAwait(false);
            return created;
        }, cancellationToken);

    public Task<IReadOnlyList<DueDelivery>> DueAsync(int limit, CancellationToken cancellationToken) =>
        sessions.ReadAsync<IReadOnlyList<DueDelivery>>(async connection =>
        {
            var rows = await connection.QueryAsync<DueRow, StockEventRows.Row, DueDelivery>(
                DueSql,
                (due, stockEvent) => new DueDelivery(due.SubscriptionId, due.Url, due.Secret, due.Attempts, due.DeliveryCreatedAt, stockEvent.ToEvent()),
                new { now = Now, limit },
                splitOn: "Seq").ConfigureAwait(false);
            return rows.ToList();
        }, cancellationToken);

    public Task RecordAttemptAsync(DueDelivery delivery, AttemptResult result, AttemptOutcome outcome, CancellationToken cancellationToken) =>
        sessions.WriteAsync((connection, transaction) => connection.ExecuteAsync(
            """
            UPDATE webhook_deliveries
            SET status = @status, attempts = attempts + 1, next_attempt_at = @nextAttemptAt,
                last_status_code = @statusCode, last_error = @error, finished_at = @finishedAt
            WHERE subscription_id = @subscriptionId AND event_seq = @eventSeq AND status = 'PENDING'
            """,
            new
            {
                status = DeliveryStatuses.Name(outcome.Status),
                nextAttemptAt = outcome.NextAttemptAt,
                statusCode = result.StatusCode,
                error = result.Error,
                finishedAt = outcome.FinishedAt,
                subscriptionId = delivery.SubscriptionId,
                eventSeq = delivery.Event.Seq,
            },
            transaction), cancellationToken);

    public Task<long> PendingCountAsync(CancellationToken cancellationToken) =>
        sessions.ReadAsync(connection => connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'PENDING'"), cancellationToken);

    private static async Task<IReadOnlyList<WebhookSubscription>> SubscriptionsAsync(System.Data.Common.DbConnection connection, string instanceId, string? id)
    {
        var rows = await connection.QueryAsync<SubscriptionRow>(
            $"SELECT {SubscriptionColumns} FROM webhook_subscriptions s WHERE s.instance_id = @instanceId {(id is null ? "" : "AND s.id = @id")} ORDER BY s.id",
            new { instanceId, id }).ConfigureAwait(false);
        return rows.Select(r => r.ToSubscription()).ToList();
    }

    private sealed class SubscriptionRow
    {
        public string Id { get; init; } = "";

        public string InstanceId { get; init; } = "";

        public string Url { get; init; } = "";

        public string EventTypes { get; init; } = "";

        public long CreatedAt { get; init; }

        public long Pending { get; init; }

        public long Delivered { get; init; }

        public long Failed { get; init; }

        public WebhookSubscription ToSubscription() => new(
            Id,
            InstanceId,
            Url,
            EventTypes.Split(',').Select(name => StockLevels.TryParse(name, out var type) ? type : throw new InvalidOperationException($"Unknown event type '{name}'.")).ToList(),
            DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt),
            Pending,
            Delivered,
            Failed);
    }

    private sealed class DeliveryRow
    {
        public string SubscriptionId { get; init; } = "";

        public string Status { get; init; } = "";

        public long Attempts { get; init; }

        public long NextAttemptAt { get; init; }

        public long? LastStatusCode { get; init; }

        public string? LastError { get; init; }

        public long CreatedAt { get; init; }

        public long? FinishedAt { get; init; }

        public WebhookDelivery ToDelivery(StockEvent stockEvent)
        {
            var status = DeliveryStatuses.Parse(Status) ?? throw new InvalidOperationException($"Unknown delivery status '{Status}'.");
            return new WebhookDelivery(
                SubscriptionId,
                stockEvent,
                status,
                Attempts,
                status == DeliveryStatus.Pending ? DateTimeOffset.FromUnixTimeMilliseconds(NextAttemptAt) : null,
                LastStatusCode,
                LastError,
                DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt),
                FinishedAt is { } finished ? DateTimeOffset.FromUnixTimeMilliseconds(finished) : null);
        }
    }

    private sealed class DueRow
    {
        public string SubscriptionId { get; init; } = "";

        public string Url { get; init; } = "";

        public string Secret { get; init; } = "";

        public long Attempts { get; init; }

        public long DeliveryCreatedAt { get; init; }
    }
}
