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
/// event still reaches the receiver, /events lists each once, and the ledger verifies. On PostgreSQL, two
/// replicas share the work without sending an event twice, and the survivor takes over from a killed one.
/// </summary>
[NonParallelizable]
[TestFixtureSource(typeof(Stores), nameof(Stores.Both))]
public sealed class WebhookRestartTests(StoreKind store)
{
    private const int Items = 12;

    private readonly string _tenant = PluginInstance.NewTenant();
    private string _directory = null!;
    private Dictionary<string, string> _environment = null!;
    private PlatformTokens _tokens = null!;
    private MerchantTokens _merchantTokens = null!;
    private WebhookReceiver _receiver = null!;
    private volatile bool _stalling;

    [SetUp]
    public async Task SetUp()
    {
        _directory = Directory.CreateTempSubdirectory("webhook-restarts-").FullName;
        var platformKey = RSA.Create(2048);
        var merchantKey = RandomNumberGenerator.GetBytes(32);
        _environment = ServiceProcess.Environment(_directory, platformKey, merchantKey);
        foreach (var (name, value) in Stores.AsEnvironment(await Stores.SettingsAsync(store, _directory)))
        {
            _environment[name] = value;
        }

        _environment["Webhooks__PollMilliseconds"] = "50";
        _environment["Webhooks__TimeoutSeconds"] = "120";
        _environment["Webhooks__FirstRetrySeconds"] = "0.2";
        _environment["Webhooks__MaxRetrySeconds"] = "0.5";
        _tokens = new PlatformTokens(platformKey, PluginInstance.AppId);
        _merchantTokens = new MerchantTokens(merchantKey, PluginInstance.MerchantIssuer, PluginInstance.MerchantAudience);
        // While stalling, the receiver holds every delivery open: the service dies with them in flight.
        _receiver = new WebhookReceiver { Answer = (_, _) => (200, _stalling ? TimeSpan.FromSeconds(90) : TimeSpan.Zero) };
    }

    [TearDown]
    public void TearDown()
    {
        _receiver.Dispose();
        SqliteConnection.ClearAllPools();
        Npgsql.NpgsqlConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Test]
    public async Task Killed_during_delivery_the_service_delivers_every_event_after_a_restart()
    {
        _stalling = true;
        await using (var doomed = await ServiceProcess.StartAsync(_directory, _environment))
        {
            TestContext.Progress.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} started");
            await RaiseEventsAsync(doomed);
            TestContext.Progress.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} raised");
            await WaitForAsync(() => _receiver.Received.Count > 0, "a delivery in flight");
            doomed.Kill();
        }

        _stalling = false;
        TestContext.Progress.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} killed");
        await using var restarted = await ServiceProcess.StartAsync(_directory, _environment);
        TestContext.Progress.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} restarted");
        await AssertEverythingDeliveredAsync(restarted);
        TestContext.Progress.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} asserted");
    }

    [Test]
    public async Task Two_replicas_deliver_each_event_once_and_the_survivor_takes_over()
    {
        if (store != StoreKind.Postgres)
        {
            Assert.Ignore("Replicas share a PostgreSQL database; a SQLite file has one service.");
        }

        await using var first = await ServiceProcess.StartAsync(_directory, _environment);
        await using var second = await ServiceProcess.StartAsync(_directory, _environment);
        using (var client = MerchantClient(first))
        {
            await SubscribeAsync(client);
        }

        // Both replicas run a dispatcher; one holds the lease. Each event arrives exactly once.
        await SeedAndSellAsync(first, second, "calm");
        await WaitForAsync(() => _receiver.Received.Count >= Items, "every event delivered");
        await Task.Delay(500);
        Assert.That(_receiver.Received.Select(r => r.EventId).Distinct().Count(), Is.EqualTo(_receiver.Received.Count), "no event twice");

        // Now one of them dies mid-delivery (whichever it is, the other finishes the work).
        _stalling = true;
        await SeedAndSellAsync(first, second, "storm");
        await WaitForAsync(() => _receiver.Received.Count > Items, "a delivery in flight");
        first.Kill();
        _stalling = false;
        await AssertEverythingDeliveredAsync(second);
    }

    private async Task RaiseEventsAsync(ServiceProcess service)
    {
        using (var client = MerchantClient(service))
        {
            await SubscribeAsync(client);
        }

        await SeedAndSellAsync(service, service, "item");
    }

    /// <summary>Seeds <see cref="Items"/> records of 1 and sells each: one OUT_OF_STOCK event apiece.</summary>
    private async Task SeedAndSellAsync(ServiceProcess first, ServiceProcess second, string prefix)
    {
        var items = Enumerable.Range(0, Items).Select(i => $"{prefix}-{i}").ToList();
        await first.SeedAsync(_merchantTokens, _tenant, items.Select(i => (i, 1L)));
        var answers = await Task.WhenAll(items.Select((item, i) => (i % 2 == 0 ? first : second)
            .SendPlatformAsync("v1/decrement", _tokens.Sign(Envelopes.Decrement(_tenant, [Envelopes.Item(item, 1)])))));
        Assert.That(answers.Select(a => a.Status), Is.All.EqualTo(200));
    }

    private async Task AssertEverythingDeliveredAsync(ServiceProcess service)
    {
        using var client = MerchantClient(service);
        var (events, _) = await client.EventsAsync();
        var eventIds = events.Select(e => e["id"]!.GetValue<string>()).ToHashSet();
        await WaitForAsync(() => eventIds.IsSubsetOf(_receiver.Received.Select(r => r.EventId!)), "every event received after the restart", seconds: 60);

        var webhooks = await client.CallAsync(HttpMethod.Get, "webhooks");
        var counts = webhooks.Json!["webhooks"]![0]!["deliveries"]!;
        var (exitCode, output) = await ServiceProcess.RunCommandAsync(_directory, _environment, "verify-ledger");
        Assert.Multiple(() =>
        {
            Assert.That(events.Select(e => e.Type()).ToList(), Has.Count.EqualTo(eventIds.Count).And.All.EqualTo("OUT_OF_STOCK"));
            Assert.That(eventIds, Has.Count.EqualTo(_receiver.Received.Select(r => r.EventId).Distinct().Count()), "nothing delivered that /events does not list");
            Assert.That(exitCode, Is.Zero, output);
        });
        await WaitForAsync(async () => (await client.CallAsync(HttpMethod.Get, "webhooks")).Json!["webhooks"]![0]!["deliveries"]!["delivered"]!.GetValue<long>() == eventIds.Count,
            $"every delivery marked DELIVERED (was {counts.ToJsonString()})");
    }

    private async Task SubscribeAsync(HttpClient client)
    {
        var answer = await client.CallAsync(HttpMethod.Post, "webhooks", new JsonObject { ["url"] = _receiver.Url });
        Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.Created), answer.ToString());
    }

    private HttpClient MerchantClient(ServiceProcess service)
    {
        var client = new HttpClient { BaseAddress = new Uri(service.Address, "api/v1/") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _merchantTokens.Mint(_tenant, "inventory:read inventory:write"));
        return client;
    }

    private static Task WaitForAsync(Func<bool> condition, string what, int seconds = 30) =>
        WaitForAsync(() => Task.FromResult(condition()), what, seconds);

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what, int seconds = 30)
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
