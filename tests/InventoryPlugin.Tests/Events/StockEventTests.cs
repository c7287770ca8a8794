using System.Net;
using System.Text.Json.Nodes;
using InventoryPlugin.Tests.Infrastructure;
using InventoryPlugin.Tests.Merchant;
using static InventoryPlugin.Tests.Merchant.MerchantCalls;

namespace InventoryPlugin.Tests.Events;

/// <summary>
/// Low-stock thresholds and the stock events they drive: edge-triggered, written with the change that
/// caused them (so a refused or failed change writes none), and listed in commit order with a cursor.
/// </summary>
[TestFixtureSource(typeof(Stores), nameof(Stores.Both))]
public sealed class StockEventTests(StoreKind store) : MerchantFixture(store)
{
    private async Task<int> DecrementAsync(string item, int quantity, bool restrict = true, string? requestId = "new")
    {
        var answer = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item(item, quantity)], restrict, requestId));
        return answer.Status;
    }

    private async Task<int> IncrementAsync(string item, int quantity) =>
        (await Plugin.IncrementAsync(Envelopes.Increment(Tenant, [Envelopes.Item(item, quantity)]))).Status;

    [Test]
    public async Task Crossing_the_threshold_raises_one_event_per_edge_not_one_per_change()
    {
        var created = await Client.CreateAsync(Counted("shirt", 10).With("lowStockThreshold", 3));
        var shirt = created.Id;

        var statuses = new List<int>
        {
            await DecrementAsync("shirt", 5),  // 5: above the line
            await DecrementAsync("shirt", 2),  // 3: LOW_STOCK
            await DecrementAsync("shirt", 1),  // 2: still low, nothing
            await DecrementAsync("shirt", 2),  // 0: OUT_OF_STOCK
            await DecrementAsync("shirt", 1),  // refused: nothing changes, nothing raised
            await IncrementAsync("shirt", 1),  // 1: BACK_IN_STOCK
            await IncrementAsync("shirt", 9),  // 10: back above the line, nothing (re-armed)
            await DecrementAsync("shirt", 8),  // 2: LOW_STOCK again
        };

        var (events, _) = await Client.EventsAsync();
        Assert.Multiple(() =>
        {
            Assert.That(created.Json!["lowStockThreshold"]!.GetValue<long>(), Is.EqualTo(3));
            Assert.That(created.Json!["stockLevel"]!.GetValue<string>(), Is.EqualTo("OK"));
            Assert.That(statuses, Is.EqualTo(new[] { 200, 200, 200, 200, 428, 200, 200, 200 }));
            Assert.That(events.Select(e => e.Type()), Is.EqualTo(new[] { "LOW_STOCK", "OUT_OF_STOCK", "BACK_IN_STOCK", "LOW_STOCK" }));
            Assert.That(events.Select(e => (e.Before(), e.After())), Is.EqualTo(new[]
            {
                ((5L, 5L), (3L, 3L)),
                ((2L, 2L), (0L, 0L)),
                ((0L, 0L), (1L, 1L)),
                ((10L, 10L), (2L, 2L)),
            }));
            Assert.That(events.Select(e => e["inventoryItemId"]!.GetValue<string>()), Is.All.EqualTo(shirt));
            Assert.That(events.Select(e => e["lowStockThreshold"]!.GetValue<long>()), Is.All.EqualTo(3));
            Assert.That(events.Select(e => e["sequence"]!.GetValue<long>()), Is.Ordered.Ascending.And.Unique);
            Assert.That(events.Select(e => e["cause"]!["operation"]!.GetValue<string>()), Is.EqualTo(new[] { "DECREMENT", "DECREMENT", "INCREMENT", "DECREMENT" }));
            Assert.That(events.Select(e => e["cause"]!["requestId"]?.GetValue<string>()), Is.All.Not.Null);
        });

        // The cause is the ledger entry of the change, with the request that made it.
        var ledger = await Client.LedgerAsync($"itemId={shirt}");
        foreach (var stockEvent in events)
        {
            var entry = ledger.Single(e => e["seq"]!.GetValue<long>() == stockEvent["cause"]!["ledgerSeq"]!.GetValue<long>());
            Assert.That(entry["quantityAfter"]!.GetValue<long>(), Is.EqualTo(stockEvent.After().Quantity));
            Assert.That(entry["requestId"]!.GetValue<string>(), Is.EqualTo(stockEvent["cause"]!["requestId"]!.GetValue<string>()));
        }

        Assert.That((await Client.GetItemAsync(shirt))["stockLevel"]!.GetValue<string>(), Is.EqualTo("LOW"));
    }

    [Test]
    public async Task Merchant_changes_and_threshold_edits_raise_events_too()
    {
        var mug = (await Client.CreateAsync(Counted("mug", 8))).Id;
        var revision = (await Client.GetItemAsync(mug))["revision"]!.GetValue<long>();

        // Raising the threshold above what is available moves the record to LOW by itself.
        var patched = await Client.CallAsync(HttpMethod.Patch, $"inventory-items/{mug}", new JsonObject { ["revision"] = revision, ["lowStockThreshold"] = 10 });
        var adjusted = await Client.CallAsync(HttpMethod.Post, $"inventory-items/{mug}/adjust", new JsonObject { ["delta"] = -8, ["reason"] = "broken" });
        var set = await Client.CallAsync(HttpMethod.Patch, $"inventory-items/{mug}", new JsonObject { ["revision"] = adjusted.Revision, ["quantity"] = 20 });
        var cleared = await Client.CallAsync(HttpMethod.Patch, $"inventory-items/{mug}", new JsonObject { ["revision"] = set.Revision, ["lowStockThreshold"] = null });
        var untouched = await Client.CallAsync(HttpMethod.Patch, $"inventory-items/{mug}", new JsonObject { ["revision"] = cleared.Revision, ["quantity"] = 19 });

        var (events, _) = await Client.EventsAsync();
        Assert.Multiple(() =>
        {
            Assert.That(patched.Json!["stockLevel"]!.GetValue<string>(), Is.EqualTo("LOW"), patched.ToString());
            Assert.That(cleared.Json!["lowStockThreshold"], Is.Null, cleared.ToString());
            Assert.That(untouched.Json!["lowStockThreshold"], Is.Null, "absent leaves the threshold as it is");
            Assert.That(events.Select(e => (e.Type(), e["cause"]!["operation"]!.GetValue<string>())), Is.EqualTo(new[]
            {
                ("LOW_STOCK", "SET"),
                ("OUT_OF_STOCK", "ADJUST"),
                ("BACK_IN_STOCK", "SET"),
            }));
            Assert.That(events.Select(e => e["cause"]!["requestId"]?.GetValue<string>()), Is.All.Null, "merchant changes have no platform request");
        });
    }

    [Test]
    public async Task A_bad_threshold_is_refused_and_changes_nothing()
    {
        var bad = await Client.CallAsync(HttpMethod.Post, "inventory-items", Counted("cap", 5).With("lowStockThreshold", -1));
        var mug = (await Client.CreateAsync(Counted("mug", 5))).Id;
        var revision = (await Client.GetItemAsync(mug))["revision"]!.GetValue<long>();
        var badPatch = await Client.CallAsync(HttpMethod.Patch, $"inventory-items/{mug}", new JsonObject { ["revision"] = revision, ["lowStockThreshold"] = "ten" });
        Assert.Multiple(() =>
        {
            Assert.That(bad.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(bad.ErrorFields, Is.EqualTo(new[] { "lowStockThreshold" }));
            Assert.That(badPatch.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(badPatch.ErrorFields, Is.EqualTo(new[] { "lowStockThreshold" }));
        });
        Assert.That((await Client.GetItemAsync(mug))["revision"]!.GetValue<long>(), Is.EqualTo(revision));
    }

    [Test]
    public async Task Holds_move_the_level_and_their_release_or_expiry_brings_it_back()
    {
        var hat = (await Client.CreateAsync(Counted("hat", 4).With("lowStockThreshold", 2))).Id;
        var hold = new JsonObject { ["items"] = new JsonArray(new JsonObject { ["catalogReference"] = Reference("hat"), ["quantity"] = 4 }) };
        var held = await Client.CallAsync(HttpMethod.Post, "allocations", hold);
        var released = await Client.CallAsync(HttpMethod.Delete, $"allocations/{held.Id}");
        hold["ttlSeconds"] = 1;
        var shortHold = await Client.CallAsync(HttpMethod.Post, "allocations", hold);

        // The sweep (every Allocations:SweepSeconds) expires it and brings the record back.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        List<JsonNode> events;
        do
        {
            await Task.Delay(200);
            (events, _) = await Client.EventsAsync();
        }
        while (events.Count < 4 && DateTime.UtcNow < deadline);

        Assert.Multiple(() =>
        {
            Assert.That(held.Status, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(released.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(shortHold.Status, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(events.Select(e => (e.Type(), e["cause"]!["operation"]!.GetValue<string>())), Is.EqualTo(new[]
            {
                ("OUT_OF_STOCK", "ALLOCATE"),
                ("BACK_IN_STOCK", "RELEASE"),
                ("OUT_OF_STOCK", "ALLOCATE"),
                ("BACK_IN_STOCK", "EXPIRE"),
            }));
            Assert.That(events.Select(e => e.Before()), Is.EqualTo(new[] { (4L, 4L), (4L, 0L), (4L, 4L), (4L, 0L) }));
            Assert.That(events.Select(e => e.After()), Is.EqualTo(new[] { (4L, 0L), (4L, 4L), (4L, 0L), (4L, 4L) }));
            Assert.That(events.Select(e => e["inventoryItemId"]!.GetValue<string>()), Is.All.EqualTo(hat));
        });
    }

    [Test]
    public async Task Concurrent_decrements_cross_each_line_exactly_once()
    {
        await Client.CreateAsync(Counted("sock", 50).With("lowStockThreshold", 10));
        var statuses = await Task.WhenAll(Enumerable.Range(0, 80).Select(_ => DecrementAsync("sock", 1)));

        var (events, _) = await Client.EventsAsync();
        Assert.Multiple(() =>
        {
            Assert.That(statuses.Count(s => s == 200), Is.EqualTo(50));
            Assert.That(statuses.Count(s => s == 428), Is.EqualTo(30));
            Assert.That(events.Select(e => e.Type()), Is.EqualTo(new[] { "LOW_STOCK", "OUT_OF_STOCK" }));
            Assert.That(events.Select(e => e.After().Available), Is.EqualTo(new[] { 10L, 0L }));
        });
    }

    [Test]
    public async Task The_cursor_pages_in_order_and_a_puller_sees_only_what_came_since()
    {
        foreach (var item in new[] { "a", "b", "c" })
        {
            await Client.CreateAsync(Counted(item, 1));
            await DecrementAsync(item, 1);
        }

        var (firstThree, cursor) = await Client.EventsAsync(limit: 2);
        var (nothingNew, sameCursor) = await Client.EventsAsync(cursor: cursor);
        await IncrementAsync("b", 1);
        var (sinceThen, _) = await Client.EventsAsync(cursor: cursor);
        var (outOnly, _) = await Client.EventsAsync("type=OUT_OF_STOCK");
        var bId = firstThree[1]["inventoryItemId"]!.GetValue<string>();
        var (ofB, _) = await Client.EventsAsync($"itemId={bId}");
        var badCursor = await Client.CallAsync(HttpMethod.Get, "events?cursor=!!");
        var badType = await Client.CallAsync(HttpMethod.Get, "events?type=SOLD_OUT");
        var other = Plugin.Merchant(PluginInstance.NewTenant());
        var (othersEvents, _) = await other.EventsAsync();

        Assert.Multiple(() =>
        {
            Assert.That(firstThree.Select(e => e["catalogReference"]!["catalogItemId"]!.GetValue<string>()), Is.EqualTo(new[] { "a", "b", "c" }));
            Assert.That(nothingNew, Is.Empty);
            Assert.That(sameCursor, Is.EqualTo(cursor), "with nothing new, the cursor stays where it was");
            Assert.That(sinceThen.Select(e => e.Type()), Is.EqualTo(new[] { "BACK_IN_STOCK" }));
            Assert.That(outOnly, Has.Count.EqualTo(3));
            Assert.That(ofB.Select(e => e.Type()), Is.EqualTo(new[] { "OUT_OF_STOCK", "BACK_IN_STOCK" }));
            Assert.That(badCursor.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(badCursor.ErrorFields, Is.EqualTo(new[] { "cursor" }));
            Assert.That(badType.ErrorFields, Is.EqualTo(new[] { "type" }));
            Assert.That(othersEvents, Is.Empty, "another tenant sees none of these");
        });
    }

    [Test]
    public async Task The_query_filters_by_stock_level()
    {
        await Client.CreateAsync(Counted("low", 2).With("lowStockThreshold", 5));
        await Client.CreateAsync(Counted("ok", 20).With("lowStockThreshold", 5));
        await Client.CreateAsync(Counted("out", 0));

        var low = await Client.QueryAllAsync(new JsonObject { ["stockLevel"] = "LOW" });
        var outOfStock = await Client.QueryAllAsync(new JsonObject { ["stockLevel"] = "out" });
        var bad = await Client.CallAsync(HttpMethod.Post, "inventory-items/query", new JsonObject { ["filter"] = new JsonObject { ["stockLevel"] = "EMPTY" } });
        Assert.Multiple(() =>
        {
            Assert.That(low.Select(i => i["catalogReference"]!["catalogItemId"]!.GetValue<string>()), Is.EqualTo(new[] { "low" }));
            Assert.That(outOfStock.Select(i => i["catalogReference"]!["catalogItemId"]!.GetValue<string>()), Is.EqualTo(new[] { "out" }));
            Assert.That(bad.ErrorFields, Is.EqualTo(new[] { "filter.stockLevel" }));
        });
    }
}
