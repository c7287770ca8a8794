using System.Collections.Concurrent;
using System.Security.Cryptography;
using Dapper;
using InventoryPlugin.Tests.Infrastructure;

namespace InventoryPlugin.Tests.Storage;

/// <summary>
/// Two service processes on one PostgreSQL database, as behind a load balancer: they never oversell,
/// apply a request once whichever replica gets it, and killing one loses nothing it answered 200.
/// </summary>
[NonParallelizable]
public sealed class ReplicaTests
{
    private readonly string _tenant = PluginInstance.NewTenant();
    private string _directory = null!;
    private Dictionary<string, string?> _storage = null!;
    private Dictionary<string, string> _environment = null!;
    private PlatformTokens _tokens = null!;
    private MerchantTokens _merchantTokens = null!;
    private ServiceProcess _first = null!;
    private ServiceProcess _second = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _directory = Directory.CreateTempSubdirectory("replicas-").FullName;
        var platformKey = RSA.Create(2048);
        var merchantKey = RandomNumberGenerator.GetBytes(32);
        _storage = await Stores.SettingsAsync(StoreKind.Postgres, _directory);
        _environment = ServiceProcess.Environment(_directory, platformKey, merchantKey);
        foreach (var (name, value) in Stores.AsEnvironment(_storage))
        {
            _environment[name] = value;
        }

        _tokens = new PlatformTokens(platformKey, PluginInstance.AppId);
        _merchantTokens = new MerchantTokens(merchantKey, PluginInstance.MerchantIssuer, PluginInstance.MerchantAudience);
        // Started together: both migrate under the advisory lock, and one of them finds nothing left to do.
        var starting = new[] { ServiceProcess.StartAsync(_directory, _environment), ServiceProcess.StartAsync(_directory, _environment) };
        var started = await Task.WhenAll(starting);
        (_first, _second) = (started[0], started[1]);
    }

    [TearDown]
    public async Task StopAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
        Npgsql.NpgsqlConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Test]
    public async Task Four_hundred_restricted_decrements_across_two_replicas_sell_exactly_the_fifty_in_stock()
    {
        await _first.SeedAsync(_merchantTokens, _tenant, [("shirt", 50)]);
        var tokens = Enumerable.Range(0, 400).Select(_ => _tokens.Sign(Envelopes.Decrement(_tenant, [Envelopes.Item("shirt", 1)]))).ToList();

        var answers = await Task.WhenAll(tokens.Select((token, i) => (i % 2 == 0 ? _first : _second).SendPlatformAsync("v1/decrement", token)));

        using var connection = Stores.Open(_storage);
        Assert.Multiple(() =>
        {
            Assert.That(answers.Count(a => a.Status == 200), Is.EqualTo(50));
            Assert.That(answers.Count(a => a.Status == 428), Is.EqualTo(350));
            Assert.That(QuantityOf(connection, "shirt"), Is.Zero);
            Assert.That(connection.ExecuteScalar<long>("SELECT COUNT(*) FROM ledger WHERE instance_id = @_tenant AND operation = 'DECREMENT'", new { _tenant }),
                Is.EqualTo(50));
        });
    }

    [Test]
    public async Task One_request_sent_twenty_times_to_both_replicas_at_once_applies_once()
    {
        await _first.SeedAsync(_merchantTokens, _tenant, [("shirt", 50)]);
        var requestId = Guid.NewGuid().ToString();
        var token = _tokens.Sign(Envelopes.Decrement(_tenant, [Envelopes.Item("shirt", 3)], requestId: requestId));

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => (i % 2 == 0 ? _first : _second).SendPlatformAsync("v1/decrement", token)));

        using var connection = Stores.Open(_storage);
        Assert.Multiple(() =>
        {
            Assert.That(answers.Select(a => (a.Status, a.Body)), Has.All.EqualTo((200, "{}")));
            Assert.That(QuantityOf(connection, "shirt"), Is.EqualTo(47));
            Assert.That(connection.ExecuteScalar<long>("SELECT COUNT(*) FROM ledger WHERE instance_id = @_tenant AND request_id = @requestId", new { _tenant, requestId }),
                Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Killing_one_replica_mid_load_loses_nothing_it_answered()
    {
        var items = Enumerable.Range(0, 20).Select(i => ($"item-{i}", 1000L)).ToArray();
        await _first.SeedAsync(_merchantTokens, _tenant, items);
        var random = new Random(20261204);
        var requests = Enumerable.Range(0, 2000).Select(i =>
        {
            var requestId = Guid.NewGuid().ToString();
            var item = $"item-{random.Next(items.Length)}";
            return (RequestId: requestId, Item: item, Replica: i % 2, Token: _tokens.Sign(Envelopes.Decrement(_tenant, [Envelopes.Item(item, 1)], requestId: requestId)));
        }).ToList();

        var answered = new ConcurrentDictionary<string, int>();
        var lost = new ConcurrentBag<string>();
        var next = -1;
        var killed = 0;
        async Task Worker()
        {
            while (Interlocked.Increment(ref next) is var index && index < requests.Count)
            {
                var request = requests[index];
                var replica = request.Replica == 0 ? _first : _second;
                try
                {
                    var answer = await replica.SendPlatformAsync("v1/decrement", request.Token);
                    answered[request.RequestId] = answer.Status;
                }
                catch (HttpRequestException)
                {
                    lost.Add(request.RequestId);
                }

                if (answered.Count >= 300 && Interlocked.Exchange(ref killed, 1) == 0)
                {
                    _first.Kill();
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(Worker)));

        using var connection = Stores.Open(_storage);
        var ledgered = connection.Query<(string RequestId, long Rows)>(
            "SELECT request_id, COUNT(*) FROM ledger WHERE instance_id = @_tenant AND request_id IS NOT NULL GROUP BY request_id", new { _tenant })
            .ToDictionary(r => r.RequestId, r => r.Rows);
        var (exitCode, output) = await ServiceProcess.RunCommandAsync(_directory, _environment, "verify-ledger");
        Assert.Multiple(() =>
        {
            Assert.That(killed, Is.EqualTo(1), "the load ended before the kill");
            Assert.That(lost, Is.Not.Empty, "the kill interrupted no request");
            Assert.That(answered.Values, Has.All.EqualTo(200), "the stock was ample: every answered request applied");
            foreach (var requestId in answered.Keys)
            {
                Assert.That(ledgered.GetValueOrDefault(requestId), Is.EqualTo(1), $"request {requestId} was answered 200 but is not in the ledger once");
            }

            Assert.That(ledgered.Keys, Is.SubsetOf(answered.Keys.Concat(lost)), "the ledger holds a request nobody sent");
            Assert.That(exitCode, Is.EqualTo(0), output);
        });
    }

    private static long QuantityOf(System.Data.Common.DbConnection connection, string item) =>
        connection.ExecuteScalar<long>("SELECT quantity FROM stock_records WHERE catalog_item_id = @item", new { item });
}
