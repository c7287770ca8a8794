using System.Net;
using System.Text.Json.Nodes;
using InventoryPlugin.Stock;
using InventoryPlugin.Tests.Infrastructure;
using static InventoryPlugin.Tests.Merchant.MerchantCalls;

namespace InventoryPlugin.Tests.Merchant;

/// <summary>Contract part 3: the ledger and the per-order view, and the tenant settings the platform endpoints honour.</summary>
[TestFixtureSource(typeof(Stores), nameof(Stores.Both))]
public sealed class LedgerAndSettingsTests(StoreKind store) : MerchantFixture(store)
{
    [Test]
    public async Task The_ledger_filters_by_item_order_and_request()
    {
        var shirt = await Client.CreateAsync(Counted("shirt", 10));
        var mug = await Client.CreateAsync(Counted("mug", 10));
        var first = Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 2), Envelopes.Item("mug", 1)], reason: "ORDER_PAID");
        var second = Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 1)]);
        await Plugin.DecrementAsync(first);
        await Plugin.DecrementAsync(second);
        await Client.CallAsync(HttpMethod.Post, $"inventory-items/{shirt.Id}/adjust", new JsonObject { ["delta"] = 4, ["reason"] = "found a box" });

        var byItem = await Client.LedgerAsync($"itemId={shirt.Id}");
        var byOrder = await Client.LedgerAsync($"orderId={OrderId(first)}");
        var byRequest = await Client.LedgerAsync($"requestId={RequestId(second)}");
        var byItemAndOrder = await Client.LedgerAsync($"itemId={mug.Id}&orderId={OrderId(first)}");

        Assert.Multiple(() =>
        {
            Assert.That(byItem.Select(e => (Text(e, "operation"), Number(e, "delta"), Number(e, "quantityAfter"))),
                Is.EqualTo(new[] { ("SET", 10L, 10L), ("DECREMENT", -2L, 8L), ("DECREMENT", -1L, 7L), ("ADJUST", 4L, 11L) }));
            Assert.That(byItem.Select(e => Number(e, "seq")), Is.Ordered.Ascending);
            Assert.That(byOrder.Select(e => (Text(e, "itemId"), Number(e, "delta"))), Is.EqualTo(new[] { (shirt.Id, -2L), (mug.Id, -1L) }));
            Assert.That(byOrder, Has.All.Matches<JsonNode>(e => Text(e, "reason") == "ORDER_PAID" && Text(e, "requestId") == RequestId(first)
                && e["restrict"]!.GetValue<bool>() && Text(e, "actorType") == "ANONYMOUS_VISITOR"));
            Assert.That(byRequest.Select(e => (Text(e, "itemId"), Number(e, "delta"), Text(e, "orderId"))), Is.EqualTo(new[] { (shirt.Id, -1L, OrderId(second)) }));
            Assert.That(byItemAndOrder.Select(e => Number(e, "delta")), Is.EqualTo(new[] { -1L }));
        });
    }

    [Test]
    public async Task A_request_is_found_in_the_ledger_before_and_after_its_stored_answer_is_pruned()
    {
        await Client.CreateAsync(Counted("shirt", 10));
        await Client.CreateAsync(Counted("mug", 10));
        var applied = Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 2), Envelopes.Item("mug", 1)]);
        var refused = Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 50)]);
        await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("mug", 1)]));
        await Plugin.DecrementAsync(applied);
        Assert.That((await Plugin.DecrementAsync(refused)).Status, Is.EqualTo(428));
        await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 1)]));

        async Task<(IEnumerable<(string, long)> Applied, int Refused)> LookUp() =>
            ((await Client.LedgerAsync($"requestId={RequestId(applied)}")).Select(e => (Text(e, "operation") + " " + Text(e, "requestId"), Number(e, "delta"))).ToList(),
             (await Client.LedgerAsync($"requestId={RequestId(refused)}")).Count);

        var before = await LookUp();
        var pruned = await Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<InventoryPlugin.Storage.IStockStore>(Plugin.Services).PruneIdempotencyAsync(long.MaxValue, CancellationToken.None);
        var after = await LookUp();

        var expected = new[] { ($"DECREMENT {RequestId(applied)}", -2L), ($"DECREMENT {RequestId(applied)}", -1L) };
        Assert.Multiple(() =>
        {
            Assert.That(pruned, Is.GreaterThanOrEqualTo(4), "every stored answer is gone: its four, and those of the fixture's tests before it");
            Assert.That(before.Applied, Is.EqualTo(expected));
            Assert.That(after.Applied, Is.EqualTo(expected));
            Assert.That((before.Refused, after.Refused), Is.EqualTo((0, 0)));
        });
    }

    [Test]
    public async Task The_ledger_filters_by_time_range()
    {
        await Client.CreateAsync(Counted("shirt", 10));

        var future = await Client.LedgerAsync($"from={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(5).ToString("O"))}");
        var past = await Client.LedgerAsync($"to={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(-5).ToString("O"))}");
        var around = await Client.LedgerAsync(
            $"from={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(-5).ToString("O"))}&to={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(5).ToString("O"))}");

        Assert.Multiple(() =>
        {
            Assert.That(future, Is.Empty);
            Assert.That(past, Is.Empty);
            Assert.That(around, Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task Ledger_paging_returns_every_entry_once_in_order()
    {
        var shirt = await Client.CreateAsync(Counted("shirt", 100));
        for (var i = 0; i < 11; i++)
        {
            await Client.CallAsync(HttpMethod.Post, $"inventory-items/{shirt.Id}/adjust", new JsonObject { ["delta"] = -1 });
        }

        var whole = await Client.LedgerAsync();
        var paged = await Client.LedgerAsync(limit: 5);
        var firstPage = await Client.CallAsync(HttpMethod.Get, "ledger?limit=5");
        var tooLarge = await Client.CallAsync(HttpMethod.Get, "ledger?limit=1001");
        var badCursor = await Client.CallAsync(HttpMethod.Get, "ledger?cursor=bm90LWEtbnVtYmVy");

        Assert.Multiple(() =>
        {
            Assert.That(whole, Has.Count.EqualTo(12));
            Assert.That(paged.Select(e => Number(e, "seq")), Is.EqualTo(whole.Select(e => Number(e, "seq"))));
            Assert.That(paged.Select(e => Number(e, "quantityAfter")), Is.EqualTo(Enumerable.Range(89, 12).Reverse().Select(q => (long)q)));
            Assert.That(firstPage.Json!["entries"]!.AsArray(), Has.Count.EqualTo(5));
            Assert.That(firstPage.Json["nextCursor"]?.GetValue<string>(), Is.Not.Null);
            Assert.That(tooLarge.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(tooLarge.ErrorFields, Does.Contain("limit"));
            Assert.That(badCursor.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(badCursor.ErrorFields, Does.Contain("cursor"));
        });
    }

    [Test]
    public async Task The_order_view_shows_its_entries_and_the_net_change_per_record()
    {
        var shirt = await Client.CreateAsync(Counted("shirt", 10));
        var mug = await Client.CreateAsync(Counted("mug", 10));
        var orderId = Guid.NewGuid().ToString();
        await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 3), Envelopes.Item("mug", 1)], orderId: orderId));
        await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 2)], restrict: false, orderId: orderId, reason: "ORDER_EDITED"));
        await Plugin.IncrementAsync(Envelopes.Increment(Tenant, [Envelopes.Item("shirt", 1)], orderId: orderId, reason: "ORDER_EDITED"));
        await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 1)]));

        var answer = await Client.CallAsync(HttpMethod.Get, $"orders/{orderId.ToUpperInvariant()}");

        var net = answer.Json!["netChanges"]!.AsArray().ToDictionary(n => Text(n!, "itemId"), n => Number(n!, "delta"));
        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
            Assert.That(answer.Json["orderId"]!.GetValue<string>(), Is.EqualTo(orderId));
            Assert.That(answer.Json["entries"]!.AsArray().Select(e => (Text(e!, "operation"), Text(e!, "itemId"), Number(e!, "delta"))), Is.EqualTo(new[]
            {
                ("DECREMENT", shirt.Id, -3L), ("DECREMENT", mug.Id, -1L), ("DECREMENT", shirt.Id, -2L), ("INCREMENT", shirt.Id, 1L),
            }));
            Assert.That(net, Is.EquivalentTo(new Dictionary<string, long> { [shirt.Id] = -4, [mug.Id] = -1 }));
        });
    }

    [Test]
    public async Task An_order_without_entries_is_404()
    {
        var answer = await Client.CallAsync(HttpMethod.Get, $"orders/{Guid.NewGuid()}");

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(answer.Code, Is.EqualTo("NOT_FOUND"));
            Assert.That(answer.MediaType, Is.EqualTo(ProblemJson));
        });
    }

    [Test]
    public async Task A_new_tenant_has_the_fixed_default_location_and_rejects_unknown_items()
    {
        var answer = await Client.CallAsync(HttpMethod.Get, "settings");

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
            Assert.That(answer.Json!["defaultLocationId"]!.GetValue<string>(), Is.EqualTo(TenantSettings.FixedDefaultLocationId));
            Assert.That(answer.Json["unknownItemPolicy"]!.GetValue<string>(), Is.EqualTo("Reject"));
        });
    }

    [Test]
    public async Task After_the_default_location_changes_a_platform_decrement_without_a_location_hits_the_record_there()
    {
        var atOldDefault = await Client.CreateAsync(Counted("shirt", 10));
        var inWarehouse = await Client.CreateAsync(Counted("shirt", 10, locationId: Warehouse));

        var put = await Client.CallAsync(HttpMethod.Put, "settings", new JsonObject { ["defaultLocationId"] = Warehouse.ToUpperInvariant(), ["unknownItemPolicy"] = "Reject" });
        var decrement = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 3)]));
        var availability = await Client.CallAsync(HttpMethod.Post, "availability",
            new JsonObject { ["items"] = new JsonArray(new JsonObject { ["catalogReference"] = Reference("shirt"), ["quantity"] = 1 }) });
        var created = await Client.CreateAsync(Counted("mug", 1));
        var settings = await Client.CallAsync(HttpMethod.Get, "settings");

        var oldDefault = await Client.GetItemAsync(atOldDefault.Id);
        var warehouse = await Client.GetItemAsync(inWarehouse.Id);
        Assert.Multiple(() =>
        {
            Assert.That(put.Status, Is.EqualTo(HttpStatusCode.OK), put.ToString());
            Assert.That(put.Json!["defaultLocationId"]!.GetValue<string>(), Is.EqualTo(Warehouse));
            Assert.That(settings.Json!["defaultLocationId"]!.GetValue<string>(), Is.EqualTo(Warehouse));
            Assert.That(decrement.Status, Is.EqualTo(200), decrement.Body);
            Assert.That(warehouse["quantity"]!.GetValue<long>(), Is.EqualTo(7));
            Assert.That(oldDefault["quantity"]!.GetValue<long>(), Is.EqualTo(10));
            Assert.That(availability.Json!["items"]![0]!["id"]!.GetValue<string>(), Is.EqualTo(inWarehouse.Id));
            Assert.That(created.Json!["locationId"]!.GetValue<string>(), Is.EqualTo(Warehouse), "new records without a location go there too");
        });
    }

    [Test]
    public async Task A_default_location_changed_after_earlier_decrements_moves_the_next_one_there()
    {
        var atOldDefault = await Client.CreateAsync(Counted("shirt", 10));
        var inWarehouse = await Client.CreateAsync(Counted("shirt", 10, locationId: Warehouse));
        // Served before the change: a store that remembers settings between requests has seen the old ones.
        var before = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 1)]));

        var put = await Client.CallAsync(HttpMethod.Put, "settings", new JsonObject { ["defaultLocationId"] = Warehouse, ["unknownItemPolicy"] = "Reject" });
        var after = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 3)]));

        var oldDefault = await Client.GetItemAsync(atOldDefault.Id);
        var warehouse = await Client.GetItemAsync(inWarehouse.Id);
        Assert.Multiple(() =>
        {
            Assert.That((before.Status, put.Status, after.Status), Is.EqualTo((200, HttpStatusCode.OK, 200)), after.Body);
            Assert.That(oldDefault["quantity"]!.GetValue<long>(), Is.EqualTo(9), "only the decrement before the change");
            Assert.That(warehouse["quantity"]!.GetValue<long>(), Is.EqualTo(7), "the decrement after it, at the new default location");
        });
    }

    [Test]
    public async Task The_unknown_item_policy_decides_whether_the_platform_may_sell_an_unknown_item()
    {
        var rejectedByDefault = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("ghost", 1)]));

        var allow = await Client.CallAsync(HttpMethod.Put, "settings", new JsonObject { ["unknownItemPolicy"] = "Allow" });
        var canFulfil = await CanFulfilAsync("ghost", 1);
        var allowed = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("ghost", 1)]));

        var reject = await Client.CallAsync(HttpMethod.Put, "settings", new JsonObject { ["unknownItemPolicy"] = "reject" });
        var cannotFulfil = await CanFulfilAsync("ghost", 1);
        var rejected = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("ghost", 1)]));

        Assert.Multiple(() =>
        {
            Assert.That(rejectedByDefault.Status, Is.EqualTo(428));
            Assert.That(allow.Status, Is.EqualTo(HttpStatusCode.OK), allow.ToString());
            Assert.That(allow.Json!["unknownItemPolicy"]!.GetValue<string>(), Is.EqualTo("Allow"));
            Assert.That(canFulfil, Is.True);
            Assert.That(allowed.Status, Is.EqualTo(200), allowed.Body);
            Assert.That(reject.Status, Is.EqualTo(HttpStatusCode.OK), reject.ToString());
            Assert.That(cannotFulfil, Is.False);
            Assert.That(rejected.Status, Is.EqualTo(428));
            Assert.That(rejected.ErrorCode, Is.EqualTo("DECREMENT_NOT_POSSIBLE"));
            Assert.That(Plugin.Snapshot(Tenant), Is.Empty, "an allowed unknown item is untracked: nothing is recorded for it");
        });
    }

    [TestCase("""{"defaultLocationId":"the back room"}""", "defaultLocationId")]
    [TestCase("""{"unknownItemPolicy":"Sometimes"}""", "unknownItemPolicy")]
    [TestCase("""{"unknownItemPolicy":"1"}""", "unknownItemPolicy")]
    public async Task Invalid_settings_are_400_and_change_nothing(string body, string field)
    {
        await Client.CallAsync(HttpMethod.Put, "settings", new JsonObject { ["defaultLocationId"] = Warehouse, ["unknownItemPolicy"] = "Allow" });

        var answer = await Client.CallAsync(HttpMethod.Put, "settings", JsonNode.Parse(body));

        var settings = await Client.CallAsync(HttpMethod.Get, "settings");
        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.BadRequest), answer.ToString());
            Assert.That(answer.Code, Is.EqualTo("VALIDATION_FAILED"));
            Assert.That(answer.ErrorFields, Does.Contain(field));
            Assert.That(settings.Json!["defaultLocationId"]!.GetValue<string>(), Is.EqualTo(Warehouse));
            Assert.That(settings.Json["unknownItemPolicy"]!.GetValue<string>(), Is.EqualTo("Allow"));
        });
    }

    private async Task<bool> CanFulfilAsync(string catalogItemId, int quantity)
    {
        var answer = await Client.CallAsync(HttpMethod.Post, "availability",
            new JsonObject { ["items"] = new JsonArray(new JsonObject { ["catalogReference"] = Reference(catalogItemId), ["quantity"] = quantity }) });
        Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
        return answer.Json!["items"]![0]!["canFulfil"]!.GetValue<bool>();
    }

    private static string OrderId(JsonNode envelope) => envelope["request"]!["orderId"]!.GetValue<string>();

    private static string RequestId(JsonNode envelope) => envelope["metadata"]!["requestId"]!.GetValue<string>();

    private static string Text(JsonNode entry, string name) => entry[name]!.GetValue<string>();

    private static long Number(JsonNode entry, string name) => entry[name]!.GetValue<long>();
}
