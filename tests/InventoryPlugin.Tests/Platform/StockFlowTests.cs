using System.Text.Json.Nodes;
using InventoryPlugin.Stock;
using InventoryPlugin.Tests.Infrastructure;

namespace InventoryPlugin.Tests.Platform;

/// <summary>Contract 1.5 flows: how decrements are judged and applied, and what increments do.</summary>
[TestFixtureSource(typeof(Stores), nameof(Stores.Both))]
public sealed class StockFlowTests(StoreKind store) : TenantFixture(store)
{
    private const string Warehouse = "5b0e3a55-3f7e-4d3b-9c51-8d8f1b6c2a01";

    [Test]
    public async Task Checkout_with_enough_stock_decrements_every_item_and_writes_the_ledger()
    {
        var shirt = await Plugin.SeedAsync(Tenant, "shirt", 10);
        var mug = await Plugin.SeedAsync(Tenant, "mug", 3);
        var envelope = Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 2), Envelopes.Item("mug", 3)], reason: "ORDER_PAID");

        var answer = await Plugin.DecrementAsync(envelope);

        var orderId = envelope["request"]!["orderId"]!.GetValue<string>();
        var entries = Plugin.Ledger(Tenant).Where(e => e.OrderId == orderId).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
            Assert.That(answer.Body, Is.EqualTo("{}"));
            Assert.That(answer.ContentType, Is.EqualTo("application/json"));
            Assert.That(Plugin.QuantityOf(shirt), Is.EqualTo(8));
            Assert.That(Plugin.QuantityOf(mug), Is.EqualTo(0));
            Assert.That(entries.Select(e => (e.Delta, e.QuantityAfter)), Is.EquivalentTo(new[] { (-2L, 8L), (-3L, 0L) }));
            Assert.That(entries, Has.All.Matches<LedgerLine>(e =>
                e.Operation == "DECREMENT" && e.Reason == "ORDER_PAID" && e.RestrictFlag == true
                && e.ActorType == "ANONYMOUS_VISITOR" && e.ActorId != null
                && e.RequestId == envelope["metadata"]!["requestId"]!.GetValue<string>()));
        });
    }

    [Test]
    public async Task Restricted_decrement_short_on_one_item_changes_nothing_and_names_the_cause()
    {
        await Plugin.SeedAsync(Tenant, "shirt", 10);
        await Plugin.SeedAsync(Tenant, "mug", 2);
        await Plugin.SeedAsync(Tenant, "cap", 0);
        var before = Plugin.Snapshot(Tenant);

        var answer = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant,
            [Envelopes.Item("shirt", 1), Envelopes.Item("mug", 5), Envelopes.Item("cap", 1), Envelopes.Item("ghost", 1)]));

        var items = answer.Json!["applicationError"]!["data"]!["items"]!.AsArray();
        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(428));
            Assert.That(answer.ErrorCode, Is.EqualTo("DECREMENT_NOT_POSSIBLE"));
            Assert.That(items.Select(Summary), Is.EqualTo(new[]
            {
                ("mug", 5L, 2L, "INSUFFICIENT_STOCK"),
                ("cap", 1L, 0L, "OUT_OF_STOCK"),
                ("ghost", 1L, 0L, "UNKNOWN_ITEM"),
            }));
            Assert.That(items[0]!["locationId"]!.GetValue<string>(), Is.EqualTo(TenantSettings.FixedDefaultLocationId));
            Assert.That(items[0]!["catalogReference"]!["appId"]!.GetValue<string>(), Is.EqualTo(Envelopes.StoresAppId));
            Assert.That(Plugin.Snapshot(Tenant), Is.EqualTo(before));
            Assert.That(Plugin.Ledger(Tenant), Has.Count.EqualTo(3), "only the seeds' entries");
        });
    }

    [Test]
    public async Task Lines_for_the_same_record_are_summed_before_judging()
    {
        var shirt = await Plugin.SeedAsync(Tenant, "shirt", 5);

        var refused = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 3), Envelopes.Item("shirt", 3)]));
        var applied = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 2), Envelopes.Item("shirt", 3)]));

        Assert.Multiple(() =>
        {
            Assert.That(refused.Status, Is.EqualTo(428));
            Assert.That(refused.Json!["applicationError"]!["data"]!["items"]!.AsArray().Select(Summary),
                Is.EqualTo(new[] { ("shirt", 6L, 5L, "INSUFFICIENT_STOCK") }));
            Assert.That(applied.Status, Is.EqualTo(200), applied.Body);
            Assert.That(Plugin.QuantityOf(shirt), Is.EqualTo(0));
            Assert.That(Plugin.Ledger(Tenant).Where(e => e.Operation == "DECREMENT").Select(e => e.Delta), Is.EqualTo(new[] { -5L }),
                "one entry per record, not per line");
        });
    }

    [Test]
    public async Task Order_edit_unrestricted_decrement_may_drive_stock_negative_and_the_increment_restores_it()
    {
        var shirt = await Plugin.SeedAsync(Tenant, "shirt", 1);
        var orderId = Guid.NewGuid().ToString();

        var decrement = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 4)], restrict: false, orderId: orderId, reason: "ORDER_EDITED"));
        var afterDecrement = Plugin.QuantityOf(shirt);
        var increment = await Plugin.IncrementAsync(Envelopes.Increment(Tenant, [Envelopes.Item("shirt", 1)], orderId: orderId, reason: "ORDER_EDITED"));

        Assert.Multiple(() =>
        {
            Assert.That(decrement.Status, Is.EqualTo(200), decrement.Body);
            Assert.That(afterDecrement, Is.EqualTo(-3));
            Assert.That(increment.Status, Is.EqualTo(200), increment.Body);
            Assert.That(Plugin.QuantityOf(shirt), Is.EqualTo(-2));
            Assert.That(Plugin.Ledger(Tenant).Where(e => e.OrderId == orderId).Select(e => (e.Operation, e.Delta, e.RestrictFlag)),
                Is.EqualTo(new[] { ("DECREMENT", -4L, (bool?)false), ("INCREMENT", 1L, (bool?)null) }));
        });
    }

    [TestCase(null, TestName = "Missing restrictInventoryValue is treated as restricted")]
    [TestCase("null", TestName = "Null restrictInventoryValue is treated as restricted")]
    public async Task Missing_or_null_restrict_is_the_safe_side(string? form)
    {
        var shirt = await Plugin.SeedAsync(Tenant, "shirt", 1);
        var envelope = Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 2)]);
        var request = envelope["request"]!.AsObject();
        if (form is null)
        {
            request.Remove("restrictInventoryValue");
        }
        else
        {
            request["restrictInventoryValue"] = null;
        }

        var answer = await Plugin.DecrementAsync(envelope);

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(428));
            Assert.That(Plugin.QuantityOf(shirt), Is.EqualTo(1));
        });
    }

    [TestCase("ORDER_CANCELED")]
    [TestCase("ORDER_REFUNDED")]
    [TestCase("ORDER_REJECTED")]
    [TestCase("SOMETHING_NEW")]
    public async Task Increment_returns_stock_and_keeps_the_reason(string reason)
    {
        var shirt = await Plugin.SeedAsync(Tenant, "shirt", 2);

        var answer = await Plugin.IncrementAsync(Envelopes.Increment(Tenant, [Envelopes.Item("shirt", 3)], reason: reason));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
            Assert.That(Plugin.QuantityOf(shirt), Is.EqualTo(5));
            Assert.That(Plugin.Ledger(Tenant)[^1].Reason, Is.EqualTo(reason));
            Assert.That(Plugin.Ledger(Tenant)[^1].Operation, Is.EqualTo("INCREMENT"));
        });
    }

    [Test]
    public async Task Unknown_item_is_refused_when_restricted()
    {
        var answer = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("ghost", 1)]));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(428));
            Assert.That(answer.Json!["applicationError"]!["data"]!["items"]![0]!["cause"]!.GetValue<string>(), Is.EqualTo("UNKNOWN_ITEM"));
            Assert.That(Plugin.Snapshot(Tenant), Is.Empty);
        });
    }

    [Test]
    public async Task Unknown_item_is_created_by_an_unrestricted_decrement_so_nothing_is_lost()
    {
        var answer = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("ghost", 2)], restrict: false));

        var ghost = new StockKey(Tenant, Envelopes.StoresAppId, "ghost", "", TenantSettings.FixedDefaultLocationId);
        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
            Assert.That(Plugin.Record(ghost), Is.Not.Null);
            Assert.That(Plugin.Record(ghost)!.TrackQuantity, Is.True);
            Assert.That(Plugin.QuantityOf(ghost), Is.EqualTo(-2));
            Assert.That(Plugin.Ledger(Tenant).Select(e => (e.Operation, e.Delta, e.QuantityAfter)), Is.EqualTo(new[] { ("DECREMENT", -2L, -2L) }));
        });
    }

    [Test]
    public async Task Unknown_item_is_created_by_an_increment()
    {
        var answer = await Plugin.IncrementAsync(Envelopes.Increment(Tenant, [Envelopes.Item("returned", 4)]));

        var returned = new StockKey(Tenant, Envelopes.StoresAppId, "returned", "", TenantSettings.FixedDefaultLocationId);
        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
            Assert.That(Plugin.QuantityOf(returned), Is.EqualTo(4));
            Assert.That(Plugin.Ledger(Tenant).Select(e => e.Delta), Is.EqualTo(new[] { 4L }));
        });
    }

    [Test]
    public async Task Preorder_limit_allows_selling_below_zero_down_to_the_limit_and_no_further()
    {
        var book = await Plugin.SeedAsync(Tenant, "book", 2, preorder: true, preorderLimit: 3);

        var withinLimit = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("book", 5)]));
        var pastLimit = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("book", 1)]));

        Assert.Multiple(() =>
        {
            Assert.That(withinLimit.Status, Is.EqualTo(200), withinLimit.Body);
            Assert.That(pastLimit.Status, Is.EqualTo(428));
            Assert.That(pastLimit.Json!["applicationError"]!["data"]!["items"]!.AsArray().Select(Summary),
                Is.EqualTo(new[] { ("book", 1L, 0L, "OUT_OF_STOCK") }));
            Assert.That(Plugin.QuantityOf(book), Is.EqualTo(-3));
        });
    }

    [Test]
    public async Task Preorder_without_a_limit_never_refuses()
    {
        var book = await Plugin.SeedAsync(Tenant, "book", 0, preorder: true);

        var answer = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("book", 100000)]));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
            Assert.That(Plugin.QuantityOf(book), Is.EqualTo(-100000));
        });
    }

    [Test]
    public async Task In_stock_tracked_items_are_judged_by_their_flag_and_still_ledgered()
    {
        var available = await Plugin.SeedAsync(Tenant, "poster", 0, trackQuantity: false, inStock: true);
        await Plugin.SeedAsync(Tenant, "sold-out", 0, trackQuantity: false, inStock: false);

        var allowed = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("poster", 50)]));
        var refused = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("sold-out", 1)]));

        Assert.Multiple(() =>
        {
            Assert.That(allowed.Status, Is.EqualTo(200), allowed.Body);
            Assert.That(Plugin.Record(available)!.InStock, Is.True, "the flag is the merchant's to change");
            Assert.That(Plugin.Ledger(Tenant).Where(e => e.Operation == "DECREMENT").Select(e => e.Delta), Is.EqualTo(new[] { -50L }));
            Assert.That(refused.Status, Is.EqualTo(428));
            Assert.That(refused.Json!["applicationError"]!["data"]!["items"]![0]!["cause"]!.GetValue<string>(), Is.EqualTo("OUT_OF_STOCK"));
        });
    }

    [Test]
    public async Task The_same_variant_named_by_options_in_another_order_is_the_same_record()
    {
        var variant = await Plugin.SeedAsync(Tenant, "shirt", 5, variantKey: Stock.VariantKeys.From(
            System.Text.Json.JsonDocument.Parse("""{"options":{"Color":"Red","Size":"M"}}""").RootElement));
        var other = await Plugin.SeedAsync(Tenant, "shirt", 5, variantKey: Stock.VariantKeys.From(
            System.Text.Json.JsonDocument.Parse("""{"options":{"Color":"Blue","Size":"M"}}""").RootElement));

        var answer = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant,
        [
            Envelopes.Item("shirt", 2, options: new JsonObject { ["options"] = new JsonObject { ["Size"] = "M", ["Color"] = "Red" } }),
            Envelopes.Item("shirt", 1, options: new JsonObject
            {
                ["options"] = new JsonObject { ["Color"] = "Red", ["Size"] = "M" },
                ["customTextFields"] = new JsonObject { ["Engraving"] = "Hi" },
            }),
        ]));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
            Assert.That(Plugin.QuantityOf(variant), Is.EqualTo(2));
            Assert.That(Plugin.QuantityOf(other), Is.EqualTo(5));
        });
    }

    [Test]
    public async Task A_variant_by_variantId_is_its_own_record()
    {
        var variantId = Guid.NewGuid().ToString();
        var variant = await Plugin.SeedAsync(Tenant, "shirt", 5, variantKey: variantId);
        var product = await Plugin.SeedAsync(Tenant, "shirt", 5);

        var answer = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant,
            [Envelopes.Item("shirt", 2, options: new JsonObject { ["variantId"] = variantId })]));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
            Assert.That(Plugin.QuantityOf(variant), Is.EqualTo(3));
            Assert.That(Plugin.QuantityOf(product), Is.EqualTo(5));
        });
    }

    [Test]
    public async Task An_explicit_location_and_the_default_location_are_different_records()
    {
        var inWarehouse = await Plugin.SeedAsync(Tenant, "shirt", 5, locationId: Warehouse);
        var atDefault = await Plugin.SeedAsync(Tenant, "shirt", 5);

        var answer = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant,
            [Envelopes.Item("shirt", 1, locationId: Warehouse.ToUpperInvariant()), Envelopes.Item("shirt", 2)]));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
            Assert.That(Plugin.QuantityOf(inWarehouse), Is.EqualTo(4), "GUIDs match whatever their case");
            Assert.That(Plugin.QuantityOf(atDefault), Is.EqualTo(3));
        });
    }

    [Test]
    public async Task Tenants_never_share_stock()
    {
        var mine = await Plugin.SeedAsync(Tenant, "shirt", 5);
        var otherTenant = PluginInstance.NewTenant();

        var answer = await Plugin.DecrementAsync(Envelopes.Decrement(otherTenant, [Envelopes.Item("shirt", 1)]));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(428));
            Assert.That(Plugin.QuantityOf(mine), Is.EqualTo(5));
        });
    }

    private static (string, long, long, string) Summary(JsonNode? item) => (
        item!["catalogReference"]!["catalogItemId"]!.GetValue<string>(),
        item["requestedQuantity"]!.GetValue<long>(),
        item["availableQuantity"]!.GetValue<long>(),
        item["cause"]!.GetValue<string>());
}
