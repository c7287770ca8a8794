using System.Net;
using System.Text.Json.Nodes;
using InventoryPlugin.Tests.Infrastructure;
using static InventoryPlugin.Tests.Merchant.MerchantCalls;

namespace InventoryPlugin.Tests.Merchant;

/// <summary>Contract part 3: a token never reads or changes another tenant's data, not even by guessing an id.</summary>
[TestFixtureSource(typeof(Stores), nameof(Stores.Both))]
public sealed class TenantIsolationTests(StoreKind store)
{
    private PluginInstance _plugin = null!;
    private string _tenantA = null!;
    private string _tenantB = null!;
    private HttpClient _a = null!;
    private HttpClient _b = null!;
    private string _recordId = null!;
    private string _orderId = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _plugin = await PluginInstance.StartAsync(store: store);

    [OneTimeTearDown]
    public async Task StopAsync() => await _plugin.DisposeAsync();

    /// <summary>Tenant A owns a record that an order has touched; tenant B knows its id and the order's.</summary>
    [SetUp]
    public async Task TwoTenantsAsync()
    {
        _tenantA = PluginInstance.NewTenant();
        _tenantB = PluginInstance.NewTenant();
        _a = _plugin.Merchant(_tenantA);
        _b = _plugin.Merchant(_tenantB);
        _recordId = (await _a.CreateAsync(Counted("shirt", 10))).Id;
        _orderId = Guid.NewGuid().ToString();
        var sold = await _plugin.DecrementAsync(Envelopes.Decrement(_tenantA, [Envelopes.Item("shirt", 2)], orderId: _orderId));
        Assert.That(sold.Status, Is.EqualTo(200), sold.Body);
    }

    [TearDown]
    public void DisposeClients()
    {
        _a.Dispose();
        _b.Dispose();
    }

    [Test]
    public async Task Another_tenant_guessing_the_id_gets_404_for_every_record_route_and_changes_nothing()
    {
        var before = await _a.GetItemAsync(_recordId);
        var ledgerBefore = _plugin.Ledger(_tenantA).Count;

        var answers = new Dictionary<string, MerchantAnswer>
        {
            ["get"] = await _b.CallAsync(HttpMethod.Get, $"inventory-items/{_recordId}"),
            ["patch"] = await _b.CallAsync(HttpMethod.Patch, $"inventory-items/{_recordId}", new JsonObject { ["revision"] = before["revision"]!.GetValue<long>(), ["quantity"] = 0 }),
            ["adjust"] = await _b.CallAsync(HttpMethod.Post, $"inventory-items/{_recordId}/adjust", new JsonObject { ["delta"] = -5 }),
            ["delete"] = await _b.CallAsync(HttpMethod.Delete, $"inventory-items/{_recordId}"),
            ["get, id in upper case"] = await _b.CallAsync(HttpMethod.Get, $"inventory-items/{_recordId.ToUpperInvariant()}"),
        };

        var after = await _a.GetItemAsync(_recordId);
        Assert.Multiple(() =>
        {
            foreach (var (route, answer) in answers)
            {
                Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.NotFound), $"{route}: {answer}");
                Assert.That(answer.Code, Is.EqualTo("NOT_FOUND"), route);
                Assert.That(answer.MediaType, Is.EqualTo(ProblemJson), route);
            }

            Assert.That(after.ToJsonString(), Is.EqualTo(before.ToJsonString()), "A's record is untouched");
            Assert.That(after["quantity"]!.GetValue<long>(), Is.EqualTo(8));
            Assert.That(_plugin.Ledger(_tenantA), Has.Count.EqualTo(ledgerBefore));
            Assert.That(_plugin.Snapshot(_tenantB), Is.Empty);
        });
    }

    [Test]
    public async Task Another_tenant_does_not_see_the_records_in_queries_exports_or_availability()
    {
        var query = await _b.QueryAllAsync();
        var filtered = await _b.QueryAllAsync(new JsonObject { ["catalogItemId"] = "shirt" });
        var export = await _b.ExportAsync();
        var availability = await _b.CallAsync(HttpMethod.Post, "availability",
            new JsonObject { ["items"] = new JsonArray(new JsonObject { ["catalogReference"] = Reference("shirt"), ["quantity"] = 1 }) });

        Assert.Multiple(() =>
        {
            Assert.That(query, Is.Empty);
            Assert.That(filtered, Is.Empty);
            Assert.That(export.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1), "only the header");
            Assert.That(availability.Status, Is.EqualTo(HttpStatusCode.OK), availability.ToString());
            Assert.That(availability.Json!["items"]![0]!["found"]!.GetValue<bool>(), Is.False);
            Assert.That(availability.Json["items"]![0]!["canFulfil"]!.GetValue<bool>(), Is.False);
        });
    }

    [Test]
    public async Task Another_tenant_does_not_see_the_ledger_or_the_order_view()
    {
        var byItem = await _b.LedgerAsync($"itemId={_recordId}");
        var byOrder = await _b.LedgerAsync($"orderId={_orderId}");
        var everything = await _b.LedgerAsync();
        var order = await _b.CallAsync(HttpMethod.Get, $"orders/{_orderId}");
        var ownOrder = await _a.CallAsync(HttpMethod.Get, $"orders/{_orderId}");

        Assert.Multiple(() =>
        {
            Assert.That(byItem, Is.Empty);
            Assert.That(byOrder, Is.Empty);
            Assert.That(everything, Is.Empty);
            Assert.That(order.Status, Is.EqualTo(HttpStatusCode.NotFound), order.ToString());
            Assert.That(order.Code, Is.EqualTo("NOT_FOUND"));
            Assert.That(ownOrder.Status, Is.EqualTo(HttpStatusCode.OK), "the order exists for its own tenant");
        });
    }

    [Test]
    public async Task Another_tenant_creating_the_same_catalog_item_gets_its_own_record()
    {
        var theirs = await _b.CallAsync(HttpMethod.Post, "inventory-items", Counted("shirt", 1));

        var mine = await _a.GetItemAsync(_recordId);
        Assert.Multiple(() =>
        {
            Assert.That(theirs.Status, Is.EqualTo(HttpStatusCode.Created), theirs.ToString());
            Assert.That(theirs.Id, Is.Not.EqualTo(_recordId));
            Assert.That(mine["quantity"]!.GetValue<long>(), Is.EqualTo(8));
        });
    }

    [Test]
    public async Task The_tenant_is_the_instance_id_however_it_is_spelled()
    {
        using var upperCase = _plugin.Merchant(_tenantA.ToUpperInvariant());
        using var braced = _plugin.Merchant("{" + _tenantA + "}");

        var upper = await upperCase.CallAsync(HttpMethod.Get, $"inventory-items/{_recordId}");
        var withBraces = await braced.CallAsync(HttpMethod.Get, $"inventory-items/{_recordId}");

        Assert.Multiple(() =>
        {
            Assert.That(upper.Status, Is.EqualTo(HttpStatusCode.OK), upper.ToString());
            Assert.That(withBraces.Status, Is.EqualTo(HttpStatusCode.OK), withBraces.ToString());
        });
    }
}
