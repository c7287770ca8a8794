using InventoryPlugin.Tests.Infrastructure;

namespace InventoryPlugin.Tests.Platform;

/// <summary>Contract 1.5: concurrent requests never sell past the floor and never lose an update.</summary>
[TestFixtureSource(typeof(Stores), nameof(Stores.Both))]
public sealed class ConcurrencyTests(StoreKind store)
{
    private PluginInstance _plugin = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _plugin = await PluginInstance.StartAsync(store: store);

    [OneTimeTearDown]
    public async Task StopAsync() => await _plugin.DisposeAsync();

    [Test]
    public async Task Two_hundred_concurrent_decrements_of_one_against_fifty_sell_exactly_fifty()
    {
        var tenant = PluginInstance.NewTenant();
        var shirt = await _plugin.SeedAsync(tenant, "shirt", 50);
        var tokens = Enumerable.Range(0, 200)
            .Select(_ => _plugin.Tokens.Sign(Envelopes.Decrement(tenant, [Envelopes.Item("shirt", 1)])))
            .ToList();

        var answers = await Task.WhenAll(tokens.Select(t => _plugin.SendAsync("/v1/decrement", t)));

        Assert.Multiple(() =>
        {
            Assert.That(answers.Count(a => a.Status == 200), Is.EqualTo(50));
            Assert.That(answers.Count(a => a.Status == 428), Is.EqualTo(150));
            Assert.That(_plugin.QuantityOf(shirt), Is.Zero);
            Assert.That(_plugin.Ledger(tenant).Count(e => e.Operation == "DECREMENT"), Is.EqualTo(50));
        });
    }

    [Test]
    public async Task Concurrent_mixed_changes_on_shared_records_lose_no_update()
    {
        var tenant = PluginInstance.NewTenant();
        var a = await _plugin.SeedAsync(tenant, "a", 1000);
        var b = await _plugin.SeedAsync(tenant, "b", 1000);
        var requests = Enumerable.Range(0, 300).Select(i => i % 3 == 0
            ? ("/v1/increment", _plugin.Tokens.Sign(Envelopes.Increment(tenant, [Envelopes.Item("a", 2), Envelopes.Item("b", 1)])))
            : ("/v1/decrement", _plugin.Tokens.Sign(Envelopes.Decrement(tenant, [Envelopes.Item("b", 1), Envelopes.Item("a", 1)], restrict: i % 2 == 0))))
            .ToList();

        var answers = await Task.WhenAll(requests.Select(r => _plugin.SendAsync(r.Item1, r.Item2)));

        // 100 increments (+2 a, +1 b) and 200 decrements (-1 each), none refused at these levels.
        Assert.Multiple(() =>
        {
            Assert.That(answers.Select(x => x.Status), Has.All.EqualTo(200));
            Assert.That(_plugin.QuantityOf(a), Is.EqualTo(1000 + 200 - 200));
            Assert.That(_plugin.QuantityOf(b), Is.EqualTo(1000 + 100 - 200));
            foreach (var record in new[] { a, b })
            {
                var id = _plugin.Record(record)!.Id;
                Assert.That(_plugin.Ledger(tenant).Where(e => e.RecordId == id).Sum(e => e.Delta), Is.EqualTo(_plugin.QuantityOf(record)),
                    "a record's quantity is the sum of its ledger deltas");
            }
        });
    }
}
