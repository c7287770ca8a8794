using System.Text.Json.Nodes;
using InventoryPlugin.Stock;
using InventoryPlugin.Tests.Infrastructure;

namespace InventoryPlugin.Tests.Platform;

/// <summary>Contract 1.5 flows: how decrements are judged and applied, and what increments do.</summary>
public sealed class StockFlowTests
{
    private const string Warehouse = "5b0e3a55-3f7e-4d3b-9c51-8d8f1b6c2a01";
    private PluginInstance _plugin = null!;
    private string _tenant = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _plugin = await PluginInstance.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _plugin.DisposeAsync();

    [SetUp]
    public void NewTenant() => _tenant = PluginInstance.NewTenant();

    [Test]
    public async Task Checkout_with_enough_stock_decrements_every_item_and_writes_the_ledger()
    {
        var shirt = await _plugin.SeedAsync(_tenant, "shirt", 10);
        var mug = await _plugin.SeedAsync(_tenant, "mug", 3);
        var envelope = Envelopes.Decrement(_tenant, [Envelopes.Item("shirt", 2), Envelopes.Item("mug", 3)], reason: "ORDER_PAID");

        var answer = await _plugin.DecrementAsync(envelope);

        var orderId = envelope["request"]!["orderId"]!.GetValue<string>();
        var entries = _plugin.Ledger(_tenant).Where(e => e.OrderId == orderId).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
            Assert.That(answer.Body, Is.EqualTo("{}"));
            Assert.That(answer.ContentType, Is.EqualTo("application/json"));
            Assert.That(_plugin.QuantityOf(shirt), Is.EqualTo(8));
            Assert.That(_plugin.QuantityOf(mug), Is.EqualTo(0));
            Assert.That(entries.Select(e => (e.Delta, e.QuantityAfter)), Is.EquivalentTo(new[] { (-2L, 8L), (-3L, 0L) }));
            Assert.That(entries, Has.All.Matches<InventoryPlugin.Storage.LedgerEntryRow>(e =>
                e.Operation == "DECREMENT" && e.Reason == "ORDER_PAID" && e.RestrictFlag == true
                && e.ActorType == "ANONYMOUS_VISITOR" && e.ActorId != null
                && e.RequestId == envelope["metadata"]!["requestId"]!.GetValue<string>()));
        });
    }

    [Test]
    public async Task Restricted_decrement_short_on_one_item_changes_nothing_and_names_the_cause()
    {
        await _plugin.SeedAsync(_tenant, "shirt", 10);
        await _plugin.SeedAsync(_tenant, "mug", 2);
        await _plugin.SeedAsync(_tenant, "cap", 0);
        var before = _plugin.Snapshot(_tenant);

        var answer = await _plugin.DecrementAsync(Envelopes.Decrement(_tenant,
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
            Assert.That(_plugin.Snapshot(_tenant), Is.EqualTo(before));
            Assert.That(_plugin.Ledger(_tenant), Has.Count.EqualTo(3), "only the seeds' entries");
        });
    }

    [Test]
    public async Task Lines_for_the_same_record_are_summed_before_judging()
    {
        var shirt = await _plugin.SeedAsync(_tenant, "shirt", 5);

        var refused = await _plugin.DecrementAsync(Envelopes.Decrement(_tenant, [Envelopes.Item("shirt", 3), Envelopes.Item("shirt", 3)]));
        var applied = await _plugin.DecrementAsync(Envelopes.Decrement(_tenant, [Envelopes.Item("shirt", 2), Envelopes.Item("shirt", 3)]));

        Assert.Multiple(() =>
        {
            Assert.That(refused.Status, Is.EqualTo(428));
            Assert.That(refused.Json!["applicationError"]!["data"]!["items"]!.AsArray().Select(Summary),
                Is.EqualTo(new[] { ("shirt", 6L, 5L, "INSUFFICIENT_STOCK") }));
            Assert.That(applied.Status, Is.EqualTo(200), applied.Body);
            Assert.That(_plugin.QuantityOf(shirt), Is.EqualTo(0));
            Assert.That(_plugin.Ledger(_tenant).Where(e => e.Operation == "DECREMENT").Select(e => e.Delta), Is.EqualTo(new[] { -5L }),
                "one entry per record, not per line");
        });
    }

    [Test]
    public async Task Order_edit_unrestricted_decrement_may_drive_stock_negative_and_the_increment_restores_it()
    {
        var shirt = await _plugin.SeedAsync(_tenant, "shirt", 1);
        var orderId = Guid.NewGuid().ToString();

        var decrement = await _plugin.DecrementAsync(Envelopes.Decrement(_tenant, [Envelopes.Item("shirt", 4)], restrict: false, orderId: orderId, reason: "ORDER_EDITED"));
        var afterDecrement = _plugin.QuantityOf(shirt);
        var increment = await _plugin.IncrementAsync(Envelopes.Increment(_tenant, [Envelopes.Item("shirt", 1)], orderId: orderId, reason: "ORDER_EDITED"));

        Assert.Multiple(() =>
        {
            Assert.That(decrement.Status, Is.EqualTo(200), decrement.Body);
            Assert.That(afterDecrement, Is.EqualTo(-3));
            Assert.That(increment.Status, Is.EqualTo(200), increment.Body);
            Assert.That(_plugin.QuantityOf(shirt), Is.EqualTo(-2));
            Assert.That(_plugin.Ledger(_tenant).Where(e => e.OrderId == orderId).Select(e => (e.Operation, e.Delta, e.RestrictFlag)),
                Is.EqualTo(new[] { ("DECREMENT", -4L, (bool?)false), ("INCREMENT", 1L, (bool?)null) }));
        });
    }

    [TestCase(null, TestName = "Missing restrictInventoryValue is treated as restricted")]
    [TestCase("null", TestName = "Null restrictInventoryValue is treated as restricted")]
    public async Task Missing_or_null_restrict_is_the_safe_side(string? form)
    {
        var shirt = await _plugin.SeedAsync(_tenant, "shirt", 1);
        var envelope = Envelopes.Decrement(_tenant, [Envelopes.Item("shirt", 2)]);
        var request = envelope["request"]!.AsObject();
        if (form is null)
        {
            request.Remove("restrictInventoryValue");
        }
        else
        {
            request["restrictInventoryValue"] = null;
        }

        var answer = await _plugin.DecrementAsync(envelope);

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(428));
            Assert.That(_plugin.QuantityOf(shirt), Is.EqualTo(1));
        });
    }

    [TestCase("ORDER_CANCELED")]
    [TestCase("ORDER_REFUNDED")]
    [TestCase("ORDER_REJECTED")]
    [TestCase("SOMETHING_NEW")]
    public async Task Increment_returns_stock_and_keeps_the_reason(string reason)
    {
        var shirt = await _plugin.SeedAsync(_tenant, "shirt", 2);

        var answer = await _plugin.IncrementAsync(Envelopes.Increment(_tenant, [Envelopes.Item("shirt", 3)], reason: reason));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
            Assert.That(_plugin.QuantityOf(shirt), Is.EqualTo(5));
            Assert.That(_plugin.Ledger(_tenant)[^1].Reason, Is.EqualTo(reason));
            Assert.That(_plugin.Ledger(_tenant)[^1].Operation, Is.EqualTo("INCREMENT"));
        });
    }

    [Test]
    public async Task Unknown_item_is_refused_when_restricted()
    {
        var answer = await _plugin.DecrementAsync(Envelopes.Decrement(_tenant, [Envelopes.Item("ghost", 1)]));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(428));
            Assert.That(answer.Json!["applicationError"]!["data"]!["items"]![0]!["cause"]!.GetValue<string>(), Is.EqualTo("UNKNOWN_ITEM"));
            Assert.That(_plugin.Snapshot(_tenant), Is.Empty);
        });
    }

    [Test]
    public async Task Unknown_item_is_created_by_an_unrestricted_decrement_so_nothing_is_lost()
    {
        var answer = await _plugin.DecrementAsync(Envelopes.Decrement(_tenant, [Envelopes.Item("ghost", 2)], restrict: false));

        var ghost = new StockKey(_tenant, Envelopes.StoresAppId, "ghost", "", TenantSettings.FixedDefaultLocationId);
        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
            Assert.That(_plugin.Record(ghost), Is.Not.Null);
            Assert.That(_plugin.Record(ghost)!.TrackQuantity, Is.True);
            Assert.That(_plugin.QuantityOf(ghost), Is.EqualTo(-2));
            Assert.That(_plugin.Ledger(_tenant).Select(e => (e.Operation, e.Delta, e.QuantityAfter)), Is.EqualTo(new[] { ("DECREMENT", -2L, -2L) }));
        });
    }

    [Test]
    public async Task Unknown_item_is_created_by_an_increment()
    {
        var answer = await _plugin.IncrementAsync(Envelopes.Increment(_tenant, [Envelopes.Item("returned", 4)]));

        var returned = new StockKey(_tenant, Envelopes.StoresAppId, "returned", "", TenantSettings.FixedDefaultLocationId);
        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
            Assert.That(_plugin.QuantityOf(returned), Is.EqualTo(4));
            Assert.That(_plugin.Ledger(_tenant).Select(e => e.Delta), Is.EqualTo(new[] { 4L }));
        });
    }

    [Test]
    public async Task Preorder_limit_allows_selling_below_zero_down_to_the_limit_and_no_further()
    {
        var book = await _plugin.SeedAsync(_tenant, "book", 2, preorder: true, preorderLimit: 3);

        var withinLimit = await _plugin.DecrementAsync(Envelopes.Decrement(_tenant, [Envelopes.Item("book", 5)]));
        var pastLimit = await _plugin.DecrementAsync(Envelopes.Decrement(_tenant, [Envelopes.Item("book", 1)]));

        Assert.Multiple(() =>
        {
            Assert.That(withinLimit.Status, Is.EqualTo(200), withinLimit.Body);
            Assert.That(pastLimit.Status, Is.EqualTo(428));
            Assert.That(pastLimit.Json!["applicationError"]!["data"]!["items"]!.AsArray().Select(Summary),
                Is.EqualTo(new[] { ("book", 1L, 0L, "OUT_OF_STOCK") }));
            Assert.That(_plugin.QuantityOf(book), Is.EqualTo(-3));
        });
    }

    [Test]
    public async Task Preorder_without_a_limit_never_refuses()
    {
        var book = await _plugin.SeedAsync(_tenant, "book", 0, preorder: true);

        var answer = await _plugin.DecrementAsync(Envelopes.Decrement(_tenant, [Envelopes.Item("book", 100000)]));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
            Assert.That(_plugin.QuantityOf(book), Is.EqualTo(-100000));
        });
    }

    [Test]
    public async Task In_stock_tracked_items_are_judged_by_their_flag_and_still_ledgered()
    {
        var available = await _plugin.SeedAsync(_tenant, "poster", 0, trackQuantity: false, inStock: true);
        await _plugin.SeedAsync(_tenant, "sold-out", 0, trackQuantity: false, inStock: false);

        var allowed = await _plugin.DecrementAsync(Envelopes.Decrement(_tenant, [Envelopes.Item("poster", 50)]));
        var refused = await _plugin.DecrementAsync(Envelopes.Decrement(_tenant, [Envelopes.Item("sold-out", 1)]));

        Assert.Multiple(() =>
        {
            Assert.That(allowed.Status, Is.EqualTo(200), allowed.Body);
            Assert.That(_plugin.Record(available)!.InStock, Is.True, "the flag is the merchant's to change");
            Assert.That(_plugin.Ledger(_tenant).Where(e => e.Operation == "DECREMENT").Select(e => e.Delta), Is.EqualTo(new[] { -50L }));
            Assert.That(refused.Status, Is.EqualTo(428));
            Assert.That(refused.Json!["applicationError"]!["data"]!["items"]![0]!["cause"]!.GetValue<string>(), Is.EqualTo("OUT_OF_STOCK"));
        });
    }

    [Test]
    public async Task The_same_variant_named_by_options_in_another_order_is_the_same_record()
    {
        var variant = await _plugin.SeedAsync(_tenant, "shirt", 5, variantKey: Stock.VariantKeys.From(
            System.Text.Json.JsonDocument.Parse("""{"options":{"Color":"Red","Size":"M"}}""").RootElement));
        var other = await _plugin.SeedAsync(_tenant, "shirt", 5, variantKey: Stock.VariantKeys.From(
            System.Text.Json.JsonDocument.Parse("""{"options":{"Color":"Blue","Size":"M"}}""").RootElement));

        var answer = await _plugin.DecrementAsync(Envelopes.Decrement(_tenant,
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
            Assert.That(_plugin.QuantityOf(variant), Is.EqualTo(2));
            Assert.That(_plugin.QuantityOf(other), Is.EqualTo(5));
        });
    }

    [Test]
    public async Task A_variant_by_variantId_is_its_own_record()
    {
        var variantId = Guid.NewGuid().ToString();
        var variant = await _plugin.SeedAsync(_tenant, "shirt", 5, variantKey: variantId);
        var product = await _plugin.SeedAsync(_tenant, "shirt", 5);

        var answer = await _plugin.DecrementAsync(Envelopes.Decrement(_tenant,
            [Envelopes.Item("shirt", 2, options: new JsonObject { ["variantId"] = variantId })]));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
            Assert.That(_plugin.QuantityOf(variant), Is.EqualTo(3));
            Assert.That(_plugin.QuantityOf(product), Is.EqualTo(5));
        });
    }

    [Test]
    public async Task An_explicit_location_and_the_default_location_are_different_records()
    {
        var inWarehouse = await _plugin.SeedAsync(_tenant, "shirt", 5, locationId: Warehouse);
        var atDefault = await _plugin.SeedAsync(_tenant, "shirt", 5);

        var answer = await _plugin.DecrementAsync(Envelopes.Decrement(_tenant,
            [Envelopes.Item("shirt", 1, locationId: Warehouse.ToUpperInvariant()), Envelopes.Item("shirt", 2)]));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
            Assert.That(_plugin.QuantityOf(inWarehouse), Is.EqualTo(4), "GUIDs match whatever their case");
            Assert.That(_plugin.QuantityOf(atDefault), Is.EqualTo(3));
        });
    }

    [Test]
    public async Task Tenants_never_share_stock()
    {
        var mine = await _plugin.SeedAsync(_tenant, "shirt", 5);
        var otherTenant = PluginInstance.NewTenant();

        var answer = await _plugin.DecrementAsync(Envelopes.Decrement(otherTenant, [Envelopes.Item("shirt", 1)]));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(428));
            Assert.That(_plugin.QuantityOf(mine), Is.EqualTo(5));
        });
    }

    private static (string, long, long, string) Summary(JsonNode? item) => (
        item!["catalogReference"]!["catalogItemId"]!.GetValue<string>(),
        item["requestedQuantity"]!.GetValue<long>(),
        item["availableQuantity"]!.GetValue<long>(),
        item["cause"]!.GetValue<string>());
}
