using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using InventoryPlugin.Tests.Infrastructure;
using InventoryPlugin.Tests.Merchant;
using Microsoft.Data.Sqlite;

namespace InventoryPlugin.Tests.Events;

/// <summary>
/// The service as a separate process, SIGKILLed while deliveries are in flight: after a restart every
/// event still reaches the receiver, /events lists each once, and the ledger verifies.
/// </summary>
[NonParallelizable]
[TestFixtureSource(typeof(Stores), nameof(Stores.Both))]
public sealed class WebhookRestartTests(StoreKind store) : WebhookProcessFixture(store)
{
    [Test]
    public async Task Killed_during_delivery_the_service_delivers_every_event_after_a_restart()
    {
        Stalling = true;
        await using (var doomed = await ServiceProcess.StartAsync(Directory, Environment))
        {
            using (var client = MerchantClient(doomed))
            {
                await SubscribeAsync(client);
            }

            await SeedAndSellAsync(doomed, doomed, "item");
            await WaitForAsync(() => Receiver.Received.Count > 0, "a delivery in flight");
            doomed.Kill();
        }

        Stalling = false;
        await using var restarted = await ServiceProcess.StartAsync(Directory, Environment);
        await AssertEverythingDeliveredAsync(restarted);
    }
}

/// <summary>Two replicas on one PostgreSQL database share the dispatch without sending an event twice; the survivor takes over from a killed one.</summary>
[NonParallelizable]
public sealed class WebhookReplicaTests() : WebhookProcessFixture(StoreKind.Postgres)
{
    [Test]
    public async Task Two_replicas_deliver_each_event_once_and_the_survivor_takes_over()
    {
        await using var first = await ServiceProcess.StartAsync(Directory, Environment);
        await using var second = await ServiceProcess.StartAsync(Directory, Environment);
        using (var client = MerchantClient(first))
        {
            await SubscribeAsync(client);
        }

        // Both replicas run a dispatcher; one holds the lease. Each event arrives exactly once.
        await SeedAndSellAsync(first, second, "calm");
        await WaitForAsync(() => Receiver.Received.Count >= Items, "every event delivered");
        await Task.Delay(500);
        Assert.That(Receiver.Received.Select(r => r.EventId).Distinct().Count(), Is.EqualTo(Receiver.Received.Count), "no event twice");

        // Now one of them dies mid-delivery (whichever it is, the other finishes the work).
        Stalling = true;
        await SeedAndSellAsync(first, second, "storm");
        await WaitForAsync(() => Receiver.Received.Count > Items, "a delivery in flight");
        first.Kill();
        Stalling = false;
        await AssertEverythingDeliveredAsync(second);
    }
}

/// <summary>Services as separate processes on one store, a WireMock receiver that can hold deliveries open, and a tenant.</summary>
public abstract class WebhookProcessFixture(StoreKind store)
{
    protected const int Items = 12;

    private readonly string _tenant = PluginInstance.NewTenant();
    private PlatformTokens _tokens = null!;
    private MerchantTokens _merchantTokens = null!;
    private volatile bool _stalling;

    protected string Directory { get; private set; } = null!;

    protected Dictionary<string, string> Environment { get; private set; } = null!;

    protected WebhookReceiver Receiver { get; private set; } = null!;

    /// <summary>While true, the receiver holds every delivery open: a service can die with them in flight.</summary>
    protected bool Stalling { get => _stalling; set => _stalling = value; }

    [SetUp]
    public async Task SetUp()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("webhook-restarts-").FullName;
        var platformKey = RSA.Create(2048);
        var merchantKey = RandomNumberGenerator.GetBytes(32);
        Environment = ServiceProcess.Environment(Directory, platformKey, merchantKey);
        foreach (var (name, value) in Stores.AsEnvironment(await Stores.SettingsAsync(store, Directory)))
        {
            Environment[name] = value;
        }

        Environment["Webhooks__PollMilliseconds"] = "50";
        Environment["Webhooks__TimeoutSeconds"] = "120";
        Environment["Webhooks__FirstRetrySeconds"] = "0.2";
        Environment["Webhooks__MaxRetrySeconds"] = "0.5";
        _tokens = new PlatformTokens(platformKey, PluginInstance.AppId);
        _merchantTokens = new MerchantTokens(merchantKey, PluginInstance.MerchantIssuer, PluginInstance.MerchantAudience);
        Receiver = new WebhookReceiver { Answer = (_, _) => (200, _stalling ? TimeSpan.FromSeconds(90) : TimeSpan.Zero) };
    }

    [TearDown]
    public void TearDown()
    {
        Receiver.Dispose();
        SqliteConnection.ClearAllPools();
        Npgsql.NpgsqlConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>Seeds <see cref="Items"/> records of 1 and sells each: one OUT_OF_STOCK event apiece.</summary>
    protected async Task SeedAndSellAsync(ServiceProcess first, ServiceProcess second, string prefix)
    {
        var items = Enumerable.Range(0, Items).Select(i => $"{prefix}-{i}").ToList();
        await first.SeedAsync(_merchantTokens, _tenant, items.Select(i => (i, 1L)));
        var answers = await Task.WhenAll(items.Select((item, i) => (i % 2 == 0 ? first : second)
            .SendPlatformAsync("v1/decrement", _tokens.Sign(Envelopes.Decrement(_tenant, [Envelopes.Item(item, 1)])))));
        Assert.That(answers.Select(a => a.Status), Is.All.EqualTo(200));
    }

    protected async Task AssertEverythingDeliveredAsync(ServiceProcess service)
    {
        using var client = MerchantClient(service);
        var (events, _) = await client.EventsAsync();
        var eventIds = events.Select(e => e["id"]!.GetValue<string>()).ToHashSet();
        await WaitForAsync(() => eventIds.IsSubsetOf(Receiver.Received.Select(r => r.EventId!)), "every event received after the restart", seconds: 60);

        var webhooks = await client.CallAsync(HttpMethod.Get, "webhooks");
        var counts = webhooks.Json!["webhooks"]![0]!["deliveries"]!;
        var (exitCode, output) = await ServiceProcess.RunCommandAsync(Directory, Environment, "verify-ledger");
        Assert.Multiple(() =>
        {
            Assert.That(events.Select(e => e.Type()).ToList(), Has.Count.EqualTo(eventIds.Count).And.All.EqualTo("OUT_OF_STOCK"));
            Assert.That(eventIds, Has.Count.EqualTo(Receiver.Received.Select(r => r.EventId).Distinct().Count()), "nothing delivered that /events does not list");
            Assert.That(exitCode, Is.Zero, output);
        });
        await WaitForAsync(async () => (await client.CallAsync(HttpMethod.Get, "webhooks")).Json!["webhooks"]![0]!["deliveries"]!["delivered"]!.GetValue<long>() == eventIds.Count,
            $"every delivery marked DELIVERED (was {counts.ToJsonString()})");
    }

    protected async Task SubscribeAsync(HttpClient client)
    {
        var answer = await client.CallAsync(HttpMethod.Post, "webhooks", new JsonObject { ["url"] = Receiver.Url });
        Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.Created), answer.ToString());
    }

    protected HttpClient MerchantClient(ServiceProcess service)
    {
        var client = new HttpClient { BaseAddress = new Uri(service.Address, "api/v1/") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _merchantTokens.Mint(_tenant, "inventory:read inventory:write"));
        return client;
    }

    protected static Task WaitForAsync(Func<bool> condition, string what, int seconds = 30) =>
        WaitForAsync(() => Task.FromResult(condition()), what, seconds);

    protected static async Task WaitForAsync(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for {what}.");
            }

            await Task.Delay(100);
        }
    }
}
