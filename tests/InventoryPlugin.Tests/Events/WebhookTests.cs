using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using InventoryPlugin.Tests.Infrastructure;
using InventoryPlugin.Tests.Merchant;
using static InventoryPlugin.Tests.Merchant.MerchantCalls;

namespace InventoryPlugin.Tests.Events;

/// <summary>
/// Webhooks against a WireMock.Net receiver: signed, each event once in the normal case, again after a
/// 500 or a timeout, in order per record, given up on (and shown as FAILED) after the retry window, and
/// never in the way of a platform request.
/// </summary>
[TestFixtureSource(typeof(Stores), nameof(Stores.Both))]
public sealed class WebhookTests(StoreKind store)
{
    private const int GiveUpAfterSeconds = 6;

    private PluginInstance _plugin = null!;
    private string _tenant = null!;
    private HttpClient _client = null!;
    private WebhookReceiver _receiver = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _plugin = await PluginInstance.StartAsync(
        new Dictionary<string, string?>
        {
            ["Webhooks:PollMilliseconds"] = "50",
            ["Webhooks:TimeoutSeconds"] = "1",
            ["Webhooks:FirstRetrySeconds"] = "0.2",
            ["Webhooks:MaxRetrySeconds"] = "0.5",
            ["Webhooks:GiveUpAfterSeconds"] = GiveUpAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        },
        store: store);

    [OneTimeTearDown]
    public async Task StopAsync() => await _plugin.DisposeAsync();

    [SetUp]
    public void NewTenant()
    {
        _tenant = PluginInstance.NewTenant();
        _client = _plugin.Merchant(_tenant);
        _receiver = new WebhookReceiver();
    }

    [TearDown]
    public void TearDown()
    {
        _receiver.Dispose();
        _client.Dispose();
    }

    private async Task<(string Id, string Secret)> SubscribeAsync(string? url = null, params string[] eventTypes)
    {
        var body = new JsonObject { ["url"] = url ?? _receiver.Url };
        if (eventTypes.Length > 0)
        {
            body["eventTypes"] = new JsonArray(eventTypes.Select(t => (JsonNode)t).ToArray());
        }

        var answer = await _client.CallAsync(HttpMethod.Post, "webhooks", body);
        Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.Created), answer.ToString());
        return (answer.Id, answer.Json!["secret"]!.GetValue<string>());
    }

    /// <summary>Sells a record down to nothing (OUT_OF_STOCK) or brings it back (BACK_IN_STOCK): one event each.</summary>
    private async Task SellOutAsync(string item, int quantity = 1) =>
        Assert.That((await _plugin.DecrementAsync(Envelopes.Decrement(_tenant, [Envelopes.Item(item, quantity)]))).Status, Is.EqualTo(200));

    private async Task RestockAsync(string item) =>
        Assert.That((await _plugin.IncrementAsync(Envelopes.Increment(_tenant, [Envelopes.Item(item, 1)]))).Status, Is.EqualTo(200));

    private async Task<List<JsonNode>> DeliveriesAsync(string subscriptionId)
    {
        var answer = await _client.CallAsync(HttpMethod.Get, $"webhooks/{subscriptionId}/deliveries?limit=1000");
        Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
        return answer.Json!["deliveries"]!.AsArray().Select(d => d!).ToList();
    }

    /// <summary>Waits until every delivery of the subscription has finished (none pending) and there are <paramref name="count"/>.</summary>
    private async Task<List<JsonNode>> SettledDeliveriesAsync(string subscriptionId, int count, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var deliveries = await DeliveriesAsync(subscriptionId);
            if ((deliveries.Count >= count && deliveries.All(d => d["status"]!.GetValue<string>() != "PENDING")) || DateTime.UtcNow > deadline)
            {
                return deliveries;
            }

            await Task.Delay(100);
        }
    }

    [Test]
    public async Task A_webhook_shows_its_secret_once_and_refuses_bad_input()
    {
        var created = await _client.CallAsync(HttpMethod.Post, "webhooks", new JsonObject { ["url"] = _receiver.Url, ["eventTypes"] = new JsonArray("LOW_STOCK") });
        var list = await _client.CallAsync(HttpMethod.Get, "webhooks");
        var one = await _client.CallAsync(HttpMethod.Get, $"webhooks/{created.Id}");
        var badUrl = await _client.CallAsync(HttpMethod.Post, "webhooks", new JsonObject { ["url"] = "ftp://example.com/x" });
        var badType = await _client.CallAsync(HttpMethod.Post, "webhooks", new JsonObject { ["url"] = _receiver.Url, ["eventTypes"] = new JsonArray("LOW_STOCK", "SOLD") });
        var otherTenant = await _plugin.Merchant(PluginInstance.NewTenant()).CallAsync(HttpMethod.Get, $"webhooks/{created.Id}");
        var readOnly = await _plugin.Merchant(_tenant, "inventory:read").CallAsync(HttpMethod.Post, "webhooks", new JsonObject { ["url"] = _receiver.Url });
        var deleted = await _client.CallAsync(HttpMethod.Delete, $"webhooks/{created.Id}");
        var again = await _client.CallAsync(HttpMethod.Delete, $"webhooks/{created.Id}");
        var gone = await _client.CallAsync(HttpMethod.Get, $"webhooks/{created.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(created.Status, Is.EqualTo(HttpStatusCode.Created), created.ToString());
            Assert.That(created.Json!["secret"]!.GetValue<string>(), Does.StartWith("whsec_").And.Length.GreaterThan(40));
            Assert.That(created.Json!["eventTypes"]!.AsArray().Select(t => t!.GetValue<string>()), Is.EqualTo(new[] { "LOW_STOCK" }));
            Assert.That(list.Body, Does.Not.Contain("secret").And.Contain(created.Id));
            Assert.That(one.Body, Does.Not.Contain("secret"));
            Assert.That(one.Json!["deliveries"]!["pending"]!.GetValue<long>(), Is.Zero);
            Assert.That(badUrl.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(badUrl.ErrorFields, Is.EqualTo(new[] { "url" }));
            Assert.That(badType.ErrorFields, Is.EqualTo(new[] { "eventTypes[1]" }));
            Assert.That(otherTenant.Status, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(readOnly.Status, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(deleted.Status, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(again.Status, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(gone.Status, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    [Test]
    public async Task Each_event_arrives_once_signed_with_the_secret()
    {
        var (webhook, secret) = await SubscribeAsync();
        await _client.CreateAsync(Counted("lamp", 3).With("lowStockThreshold", 2));
        await SellOutAsync("lamp");        // 2: LOW_STOCK
        await SellOutAsync("lamp", 2);     // 0: OUT_OF_STOCK
        await RestockAsync("lamp");        // 1: BACK_IN_STOCK

        var deliveries = await SettledDeliveriesAsync(webhook, 3);
        var (events, _) = await _client.EventsAsync();
        await Task.Delay(300); // room for a duplicate to show up, if the dispatcher were to send one
        var received = _receiver.Received;

        Assert.Multiple(() =>
        {
            Assert.That(deliveries.Select(d => (d["status"]!.GetValue<string>(), d["attempts"]!.GetValue<long>(), d["lastStatusCode"]!.GetValue<long>())),
                Is.All.EqualTo(("DELIVERED", 1L, 200L)));
            Assert.That(received.Select(r => r.EventId), Is.EqualTo(events.Select(e => e["id"]!.GetValue<string>())), "each event once, in order");
            Assert.That(_receiver.Logged, Is.EqualTo(3));
            Assert.That(received.Select(r => r.EventType), Is.EqualTo(new[] { "LOW_STOCK", "OUT_OF_STOCK", "BACK_IN_STOCK" }));
            Assert.That(received.Select(r => r.Json.ToJsonString()), Is.EqualTo(events.Select(e => e.ToJsonString())), "the body is the event as /events lists it");
            foreach (var delivery in received)
            {
                Assert.That(Verify(secret, delivery), Is.True, $"signature {delivery.Signature}");
                Assert.That(Verify("whsec_not-the-secret", delivery), Is.False);
            }
        });
    }

    [Test]
    public async Task Only_the_subscribed_types_and_only_events_after_subscribing_are_delivered()
    {
        await _client.CreateAsync(Counted("vase", 1));
        await SellOutAsync("vase");          // before the subscription: not delivered
        var (webhook, _) = await SubscribeAsync(null, "BACK_IN_STOCK");
        await RestockAsync("vase");
        await SellOutAsync("vase");          // OUT_OF_STOCK: not subscribed

        var deliveries = await SettledDeliveriesAsync(webhook, 1);
        await Task.Delay(300);
        Assert.Multiple(() =>
        {
            Assert.That(deliveries.Select(d => d["event"]!["type"]!.GetValue<string>()), Is.EqualTo(new[] { "BACK_IN_STOCK" }));
            Assert.That(_receiver.Received.Select(r => r.EventType), Is.EqualTo(new[] { "BACK_IN_STOCK" }));
        });
    }

    [Test]
    public async Task A_receiver_that_fails_or_times_out_gets_the_event_again()
    {
        var (webhook, _) = await SubscribeAsync();
        // 500 first, then no answer within the 1 s timeout, then success.
        _receiver.Answer = (_, attempt) => attempt switch
        {
            1 => (500, TimeSpan.Zero),
            2 => (200, TimeSpan.FromSeconds(2.5)),
            _ => (200, TimeSpan.Zero),
        };
        await _client.CreateAsync(Counted("desk", 1));
        await SellOutAsync("desk");

        var deliveries = await SettledDeliveriesAsync(webhook, 1);
        var received = _receiver.Received;
        Assert.Multiple(() =>
        {
            Assert.That(deliveries.Single()["status"]!.GetValue<string>(), Is.EqualTo("DELIVERED"), deliveries.Single().ToJsonString());
            Assert.That(deliveries.Single()["attempts"]!.GetValue<long>(), Is.EqualTo(3));
            Assert.That(received, Has.Count.EqualTo(3));
            Assert.That(received.Select(r => r.EventId).Distinct().Count(), Is.EqualTo(1), "the same event each time");
            Assert.That(received[1].ReceivedAt - received[0].ReceivedAt, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(150)), "a retry waits its backoff");
        });
    }

    [Test]
    public async Task Deliveries_keep_each_record_in_order_while_its_first_event_is_retried()
    {
        var (webhook, _) = await SubscribeAsync();
        // The pen's first event fails twice; the cup's events are not held up by it.
        string? firstPenEvent = null;
        _receiver.Answer = (delivery, attempt) =>
        {
            if (delivery.ItemId == "pen")
            {
                Interlocked.CompareExchange(ref firstPenEvent, delivery.EventId, null);
            }

            return (delivery.EventId == firstPenEvent && attempt <= 2 ? 500 : 200, TimeSpan.Zero);
        };
        await _client.CreateAsync(Counted("pen", 1));
        await _client.CreateAsync(Counted("cup", 1));
        await SellOutAsync("pen");
        await RestockAsync("pen");
        await SellOutAsync("pen");
        await SellOutAsync("cup");

        var deliveries = await SettledDeliveriesAsync(webhook, 4);
        var received = _receiver.Received;
        var pen = received.Where(r => r.ItemId == "pen").Select(r => (r.EventType, r.Json["sequence"]!.GetValue<long>())).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(deliveries.Select(d => d["status"]!.GetValue<string>()), Is.All.EqualTo("DELIVERED"));
            Assert.That(pen.Select(p => p.EventType), Is.EqualTo(new[] { "OUT_OF_STOCK", "OUT_OF_STOCK", "OUT_OF_STOCK", "BACK_IN_STOCK", "OUT_OF_STOCK" }));
            Assert.That(pen.Select(p => p.Item2).Distinct(), Is.Ordered.Ascending);
            Assert.That(received.First(r => r.ItemId == "cup").ReceivedAt, Is.LessThan(received.Last(r => r.ItemId == "pen").ReceivedAt),
                "another record's event does not wait for the pen's retries");
        });
    }

    [Test]
    public async Task A_receiver_that_keeps_failing_ends_failed_and_the_merchant_sees_why()
    {
        var (webhook, _) = await SubscribeAsync();
        _receiver.Answer = (_, _) => (503, TimeSpan.Zero);
        await _client.CreateAsync(Counted("sofa", 1));
        await SellOutAsync("sofa");

        var deliveries = await SettledDeliveriesAsync(webhook, 1, seconds: GiveUpAfterSeconds + 20);
        var summary = await _client.CallAsync(HttpMethod.Get, $"webhooks/{webhook}");
        var failedOnly = await _client.CallAsync(HttpMethod.Get, $"webhooks/{webhook}/deliveries?status=FAILED");
        var delivery = deliveries.Single();
        Assert.Multiple(() =>
        {
            Assert.That(delivery["status"]!.GetValue<string>(), Is.EqualTo("FAILED"), delivery.ToJsonString());
            Assert.That(delivery["attempts"]!.GetValue<long>(), Is.GreaterThanOrEqualTo(3));
            Assert.That(delivery["lastStatusCode"]!.GetValue<long>(), Is.EqualTo(503));
            Assert.That(delivery["lastError"]!.GetValue<string>(), Does.Contain("503"));
            Assert.That(delivery["nextAttemptAt"], Is.Null);
            Assert.That(delivery["finishedAt"], Is.Not.Null);
            Assert.That(summary.Json!["deliveries"]!["failed"]!.GetValue<long>(), Is.EqualTo(1));
            Assert.That(failedOnly.Json!["deliveries"]!.AsArray(), Has.Count.EqualTo(1));
            Assert.That(_receiver.Received, Has.Count.EqualTo(delivery["attempts"]!.GetValue<long>()));
        });
    }

    [Test]
    public async Task A_slow_receiver_never_holds_up_platform_requests()
    {
        var (webhook, _) = await SubscribeAsync();
        _receiver.Answer = (_, _) => (200, TimeSpan.FromMilliseconds(800));
        const int Items = 24;
        foreach (var i in Enumerable.Range(0, Items))
        {
            await _client.CreateAsync(Counted($"item-{i}", 1));
        }

        // Every decrement raises an event whose delivery takes 0.8 s; the platform's answers do not wait for them.
        var statuses = await Task.WhenAll(Enumerable.Range(0, Items).Select(async i =>
            (await _plugin.DecrementAsync(Envelopes.Decrement(_tenant, [Envelopes.Item($"item-{i}", 1)]))).Status));
        var deliveredWhenAnswered = (await DeliveriesAsync(webhook)).Count(d => d["status"]!.GetValue<string>() == "DELIVERED");

        var deliveries = await SettledDeliveriesAsync(webhook, Items, seconds: 60);
        Assert.Multiple(() =>
        {
            Assert.That(statuses, Is.All.EqualTo(200));
            Assert.That(deliveredWhenAnswered, Is.LessThan(Items), "the platform was answered before the receiver had everything");
            Assert.That(deliveries.Select(d => d["status"]!.GetValue<string>()).ToList(), Has.Count.EqualTo(Items).And.All.EqualTo("DELIVERED"));
        });
    }

    /// <summary>What a receiver does: recompute HMAC-SHA256 over "t.body" with the secret and compare in constant time.</summary>
    private static bool Verify(string secret, ReceivedDelivery delivery)
    {
        var parts = (delivery.Signature ?? "").Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");
        if (!parts.TryGetValue("t", out var t) || !parts.TryGetValue("v1", out var v1) || !long.TryParse(t, out var seconds))
        {
            return false;
        }

        if (Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - seconds) > 300)
        {
            return false;
        }

        var signed = Encoding.UTF8.GetBytes($"{t}.").Concat(delivery.Body).ToArray();
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
        return CryptographicOperations.FixedTimeEquals(expected, Convert.FromHexString(v1));
    }
}
