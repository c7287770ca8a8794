using System.Net;
using System.Text.Json.Nodes;
using InventoryPlugin.Tests.Infrastructure;
using static InventoryPlugin.Tests.Merchant.MerchantCalls;

namespace InventoryPlugin.Tests.Merchant;

/// <summary>Allocations (holds): Total = Available + Allocated, all or nothing, exact expiry, replays, and the platform's use of them.</summary>
[TestFixtureSource(typeof(Stores), nameof(Stores.Both))]
public sealed class AllocationTests(StoreKind store) : MerchantFixture(store)
{
    private static JsonObject Hold(IEnumerable<(string Item, long Quantity)> items, long? ttlSeconds = null, string? orderId = null, string? idempotencyKey = null) => new()
    {
        ["items"] = new JsonArray(items.Select(i => (JsonNode)new JsonObject { ["catalogReference"] = Reference(i.Item), ["quantity"] = i.Quantity }).ToArray()),
        ["ttlSeconds"] = ttlSeconds,
        ["orderId"] = orderId,
        ["idempotencyKey"] = idempotencyKey,
    };

    private Task<MerchantAnswer> AllocateAsync(JsonObject body) => Client.CallAsync(HttpMethod.Post, "allocations", body);

    private async Task<(long Quantity, long Allocated, long Available)> LevelsAsync(string id)
    {
        var item = await Client.GetItemAsync(id);
        return (item["quantity"]!.GetValue<long>(), item["allocated"]!.GetValue<long>(), item["available"]!.GetValue<long>());
    }

    private async Task AssertLedgerConsistentAsync()
    {
        var answer = await Client.CallAsync(HttpMethod.Get, "ledger/verify");
        Assert.That(answer.Json!["consistent"]!.GetValue<bool>(), Is.True, answer.ToString());
    }

    [Test]
    public async Task A_hold_lowers_available_and_its_commit_takes_the_units_off_quantity()
    {
        var shirt = (await Client.CreateAsync(Counted("shirt", 10))).Id;

        var held = await AllocateAsync(Hold([("shirt", 3)]));
        var whileHeld = await LevelsAsync(shirt);
        var committed = await Client.CallAsync(HttpMethod.Post, $"allocations/{held.Id}/commit");
        var again = await Client.CallAsync(HttpMethod.Post, $"allocations/{held.Id}/commit");
        var release = await Client.CallAsync(HttpMethod.Delete, $"allocations/{held.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(held.Status, Is.EqualTo(HttpStatusCode.Created), held.ToString());
            Assert.That(held.Json!["status"]!.GetValue<string>(), Is.EqualTo("OPEN"));
            Assert.That(whileHeld, Is.EqualTo((10L, 3L, 7L)));
            Assert.That(committed.Status, Is.EqualTo(HttpStatusCode.OK), committed.ToString());
            Assert.That(committed.Json!["status"]!.GetValue<string>(), Is.EqualTo("COMMITTED"));
            Assert.That(again.Status, Is.EqualTo(HttpStatusCode.OK), "a second commit replays the first");
            Assert.That(again.Json!["status"]!.GetValue<string>(), Is.EqualTo("COMMITTED"));
            Assert.That(release.Status, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(release.Code, Is.EqualTo("ALLOCATION_COMMITTED"));
        });
        Assert.That(await LevelsAsync(shirt), Is.EqualTo((7L, 0L, 7L)));
        var ledger = await Client.LedgerAsync($"?itemId={shirt}");
        Assert.That(ledger.Select(e => (e["operation"]!.GetValue<string>(), e["delta"]!.GetValue<long>(), e["quantityAfter"]!.GetValue<long>())),
            Is.EqualTo(new[] { ("SET", 10L, 10L), ("ALLOCATE", 0L, 10L), ("COMMIT", -3L, 7L) }));
        await AssertLedgerConsistentAsync();
    }

    [Test]
    public async Task A_release_gives_the_units_back_and_a_second_release_replays_it()
    {
        var mug = (await Client.CreateAsync(Counted("mug", 5))).Id;
        var held = await AllocateAsync(Hold([("mug", 4)]));
        var availability = await Client.CallAsync(HttpMethod.Post, "availability",
            new JsonObject { ["items"] = new JsonArray(new JsonObject { ["catalogReference"] = Reference("mug"), ["quantity"] = 2 }) });

        var released = await Client.CallAsync(HttpMethod.Delete, $"allocations/{held.Id}");
        var again = await Client.CallAsync(HttpMethod.Delete, $"allocations/{held.Id}");
        var commit = await Client.CallAsync(HttpMethod.Post, $"allocations/{held.Id}/commit");

        Assert.Multiple(() =>
        {
            Assert.That(availability.Json!["items"]![0]!["canFulfil"]!.GetValue<bool>(), Is.False, "1 available, 2 asked");
            Assert.That(availability.Json!["items"]![0]!["available"]!.GetValue<long>(), Is.EqualTo(1));
            Assert.That(released.Json!["status"]!.GetValue<string>(), Is.EqualTo("RELEASED"), released.ToString());
            Assert.That(again.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(again.Json!["status"]!.GetValue<string>(), Is.EqualTo("RELEASED"));
            Assert.That(commit.Code, Is.EqualTo("ALLOCATION_RELEASED"), commit.ToString());
        });
        Assert.That(await LevelsAsync(mug), Is.EqualTo((5L, 0L, 5L)));
        await AssertLedgerConsistentAsync();
    }

    [Test]
    public async Task A_hold_is_all_or_nothing()
    {
        var shirt = (await Client.CreateAsync(Counted("shirt", 10))).Id;
        await Client.CreateAsync(Counted("mug", 5));

        var refused = await AllocateAsync(Hold([("shirt", 2), ("mug", 6), ("ghost", 1)]));

        Assert.Multiple(() =>
        {
            Assert.That(refused.Status, Is.EqualTo(HttpStatusCode.Conflict), refused.ToString());
            Assert.That(refused.Code, Is.EqualTo("ALLOCATION_NOT_POSSIBLE"));
            var items = refused.Json!["items"]!.AsArray();
            Assert.That(items.Select(i => (i!["catalogReference"]!["catalogItemId"]!.GetValue<string>(), i["cause"]!.GetValue<string>(), i["availableQuantity"]!.GetValue<long>())),
                Is.EqualTo(new[] { ("mug", "INSUFFICIENT_STOCK", 5L), ("ghost", "UNKNOWN_ITEM", 0L) }));
        });
        Assert.That(await LevelsAsync(shirt), Is.EqualTo((10L, 0L, 10L)), "nothing was held");
    }

    [Test]
    public async Task Two_hundred_concurrent_holds_of_one_against_fifty_create_exactly_fifty()
    {
        var shirt = (await Client.CreateAsync(Counted("shirt", 50))).Id;

        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => AllocateAsync(Hold([("shirt", 1)]))));

        Assert.Multiple(() =>
        {
            Assert.That(answers.Count(a => a.Status == HttpStatusCode.Created), Is.EqualTo(50));
            Assert.That(answers.Count(a => a.Status == HttpStatusCode.Conflict && a.Code == "ALLOCATION_NOT_POSSIBLE"), Is.EqualTo(150));
        });
        Assert.That(await LevelsAsync(shirt), Is.EqualTo((50L, 50L, 0L)));
        await AssertLedgerConsistentAsync();
    }

    [Test]
    public async Task An_expired_hold_stops_counting_at_its_expiry_before_any_sweep()
    {
        var shirt = (await Client.CreateAsync(Counted("shirt", 4))).Id;
        var held = await AllocateAsync(Hold([("shirt", 4)], ttlSeconds: 1));
        var blocked = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 1)]));

        await Task.Delay(TimeSpan.FromMilliseconds(1300));
        var afterExpiry = await LevelsAsync(shirt);
        var status = await Client.CallAsync(HttpMethod.Get, $"allocations/{held.Id}");
        var commit = await Client.CallAsync(HttpMethod.Post, $"allocations/{held.Id}/commit");
        var sold = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 4)]));

        Assert.Multiple(() =>
        {
            Assert.That(blocked.Status, Is.EqualTo(428), "everything was held");
            Assert.That(afterExpiry, Is.EqualTo((4L, 0L, 4L)));
            Assert.That(status.Json!["status"]!.GetValue<string>(), Is.EqualTo("EXPIRED"));
            Assert.That(commit.Code, Is.EqualTo("ALLOCATION_EXPIRED"), commit.ToString());
            Assert.That(sold.Status, Is.EqualTo(200), sold.Body);
        });
        await AssertLedgerConsistentAsync();
    }

    [Test]
    public async Task The_platform_decrement_of_the_order_uses_its_hold_and_others_cannot()
    {
        var shirt = (await Client.CreateAsync(Counted("shirt", 5))).Id;
        var orderId = Guid.NewGuid().ToString();
        var held = await AllocateAsync(Hold([("shirt", 5)], orderId: orderId));

        var otherOrder = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 1)]));
        var ownOrder = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 5)], orderId: orderId));
        var allocation = await Client.CallAsync(HttpMethod.Get, $"allocations/{held.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(otherOrder.Status, Is.EqualTo(428), otherOrder.Body);
            Assert.That(ownOrder.Status, Is.EqualTo(200), ownOrder.Body);
            Assert.That(allocation.Json!["status"]!.GetValue<string>(), Is.EqualTo("COMMITTED"));
        });
        Assert.That(await LevelsAsync(shirt), Is.EqualTo((0L, 0L, 0L)), "the held units were sold once, not twice");
        await AssertLedgerConsistentAsync();
    }

    [Test]
    public async Task The_same_idempotency_key_replays_the_hold()
    {
        var shirt = (await Client.CreateAsync(Counted("shirt", 10))).Id;

        var first = await AllocateAsync(Hold([("shirt", 2)], idempotencyKey: "cart-42"));
        var second = await AllocateAsync(Hold([("shirt", 2)], idempotencyKey: "cart-42"));

        Assert.Multiple(() =>
        {
            Assert.That(first.Status, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(second.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(second.Id, Is.EqualTo(first.Id));
        });
        Assert.That(await LevelsAsync(shirt), Is.EqualTo((10L, 2L, 8L)));
    }

    [Test]
    public async Task Holds_expiring_while_decrements_arrive_never_let_available_below_the_floor()
    {
        var shirt = (await Client.CreateAsync(Counted("shirt", 20))).Id;
        var holds = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => AllocateAsync(Hold([("shirt", 2)], ttlSeconds: 1))));
        Assert.That(holds.Select(h => h.Status), Has.All.EqualTo(HttpStatusCode.Created));

        // Restricted decrements of 1 spread over the moment the holds expire.
        var answers = await Task.WhenAll(Enumerable.Range(0, 60).Select(async i =>
        {
            await Task.Delay(i * 50);
            return await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 1)]));
        }));

        var (quantity, allocated, available) = await LevelsAsync(shirt);
        Assert.Multiple(() =>
        {
            Assert.That(answers.Select(a => a.Status), Has.All.EqualTo(200).Or.EqualTo(428));
            Assert.That(answers.Count(a => a.Status == 200), Is.EqualTo(20), "exactly the 20 on hand sell once the holds expire");
            Assert.That(quantity, Is.Zero);
            Assert.That(available, Is.GreaterThanOrEqualTo(0));
            Assert.That(allocated, Is.Zero);
        });
        await AssertLedgerConsistentAsync();
    }

    [Test]
    public async Task The_sweep_closes_expired_holds_and_ledgers_them()
    {
        await using var plugin = await PluginInstance.StartAsync(new Dictionary<string, string?> { ["Allocations:SweepSeconds"] = "1" }, store: Store);
        using var client = plugin.Merchant(Tenant);
        var shirt = (await client.CreateAsync(Counted("shirt", 6))).Id;
        var held = await client.CallAsync(HttpMethod.Post, "allocations", Hold([("shirt", 2)], ttlSeconds: 1));

        List<JsonNode> ledger = [];
        for (var attempt = 0; attempt < 50 && !ledger.Any(e => e["operation"]!.GetValue<string>() == "EXPIRE"); attempt++)
        {
            await Task.Delay(200);
            ledger = await client.LedgerAsync($"?itemId={shirt}");
        }

        var verify = await client.CallAsync(HttpMethod.Get, "ledger/verify");
        Assert.Multiple(() =>
        {
            Assert.That(held.Status, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(ledger.Select(e => (e["operation"]!.GetValue<string>(), e["delta"]!.GetValue<long>(), e["quantityAfter"]!.GetValue<long>())),
                Is.EqualTo(new[] { ("SET", 6L, 6L), ("ALLOCATE", 0L, 6L), ("EXPIRE", 0L, 6L) }));
            Assert.That(verify.Json!["consistent"]!.GetValue<bool>(), Is.True, verify.ToString());
        });
    }
}
