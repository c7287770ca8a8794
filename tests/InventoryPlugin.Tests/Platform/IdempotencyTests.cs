using InventoryPlugin.Tests.Infrastructure;

namespace InventoryPlugin.Tests.Platform;

/// <summary>Contract 1.5: (instanceId, requestId) is applied once; its answer is replayed to every retry.</summary>
[TestFixtureSource(typeof(Stores), nameof(Stores.Both))]
public sealed class IdempotencyTests(StoreKind store) : TenantFixture(store)
{
    [Test]
    public async Task A_retry_of_an_applied_request_gets_the_same_answer_and_changes_nothing()
    {
        var shirt = await Plugin.SeedAsync(Tenant, "shirt", 10);
        var envelope = Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 3)]);

        var first = await Plugin.DecrementAsync(envelope);
        var retry = await Plugin.DecrementAsync(envelope);

        Assert.Multiple(() =>
        {
            Assert.That(first.Status, Is.EqualTo(200), first.Body);
            Assert.That(retry, Is.EqualTo(first));
            Assert.That(Plugin.QuantityOf(shirt), Is.EqualTo(7));
            Assert.That(Plugin.Ledger(Tenant).Count(e => e.Operation == "DECREMENT"), Is.EqualTo(1));
            Assert.That(Plugin.Logs.Entries.Select(e => e.Message), Has.Some.Contains("replayed"));
        });
    }

    [Test]
    public async Task A_retry_of_a_refused_request_is_refused_again_even_after_stock_arrives()
    {
        var shirt = await Plugin.SeedAsync(Tenant, "shirt", 1);
        var envelope = Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 3)]);

        var first = await Plugin.DecrementAsync(envelope);
        await Plugin.IncrementAsync(Envelopes.Increment(Tenant, [Envelopes.Item("shirt", 10)]));
        var retry = await Plugin.DecrementAsync(envelope);

        Assert.Multiple(() =>
        {
            Assert.That(first.Status, Is.EqualTo(428));
            Assert.That(retry, Is.EqualTo(first), "the stored answer, byte for byte");
            Assert.That(Plugin.QuantityOf(shirt), Is.EqualTo(11));
        });
    }

    [Test]
    public async Task The_same_requestId_with_a_different_request_is_409_and_changes_nothing()
    {
        var shirt = await Plugin.SeedAsync(Tenant, "shirt", 10);
        var requestId = Guid.NewGuid().ToString();
        await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 1)], requestId: requestId));

        var reused = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 2)], requestId: requestId));

        Assert.Multiple(() =>
        {
            Assert.That(reused.Status, Is.EqualTo(409));
            Assert.That(reused.ErrorCode, Is.EqualTo("REQUEST_ID_REUSED"));
            Assert.That(Plugin.QuantityOf(shirt), Is.EqualTo(9));
        });
    }

    [Test]
    public async Task The_same_requestId_in_another_tenant_is_another_request()
    {
        var requestId = Guid.NewGuid().ToString();
        var otherTenant = PluginInstance.NewTenant();
        var mine = await Plugin.SeedAsync(Tenant, "shirt", 10);
        var theirs = await Plugin.SeedAsync(otherTenant, "shirt", 10);

        await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 1)], requestId: requestId));
        var answer = await Plugin.DecrementAsync(Envelopes.Decrement(otherTenant, [Envelopes.Item("shirt", 1)], requestId: requestId));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
            Assert.That(Plugin.QuantityOf(mine), Is.EqualTo(9));
            Assert.That(Plugin.QuantityOf(theirs), Is.EqualTo(9));
        });
    }

    [Test]
    public async Task Without_a_requestId_every_request_is_applied()
    {
        var shirt = await Plugin.SeedAsync(Tenant, "shirt", 10);
        var envelope = Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 1)], requestId: null);

        await Plugin.DecrementAsync(envelope);
        var second = await Plugin.DecrementAsync(envelope);

        Assert.Multiple(() =>
        {
            Assert.That(second.Status, Is.EqualTo(200));
            Assert.That(Plugin.QuantityOf(shirt), Is.EqualTo(8));
        });
    }

    [Test]
    public async Task Twenty_concurrent_copies_of_one_request_apply_once()
    {
        var shirt = await Plugin.SeedAsync(Tenant, "shirt", 100);
        var token = Plugin.Tokens.Sign(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 7)]));

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Plugin.SendAsync("/v1/decrement", token)));

        Assert.Multiple(() =>
        {
            Assert.That(answers.Select(a => a.Status), Has.All.EqualTo(200));
            Assert.That(answers.Select(a => a.Body), Has.All.EqualTo("{}"));
            Assert.That(Plugin.QuantityOf(shirt), Is.EqualTo(93));
            Assert.That(Plugin.Ledger(Tenant).Count(e => e.Operation == "DECREMENT"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Answers_older_than_the_retention_are_pruned()
    {
        var requestId = Guid.NewGuid().ToString();
        await Plugin.SeedAsync(Tenant, "shirt", 10);
        await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 1)], requestId: requestId));
        var pruner = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<InventoryPlugin.Storage.IdempotencyPruner>(Plugin.Services);

        var prunedNow = await pruner.PruneAsync(CancellationToken.None);
        var reused = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 2)], requestId: requestId));

        Assert.Multiple(() =>
        {
            Assert.That(prunedNow, Is.Zero, "a fresh answer is kept");
            Assert.That(reused.Status, Is.EqualTo(409), "so its requestId is still taken");
        });
    }
}
