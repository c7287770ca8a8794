using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using InventoryPlugin.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace InventoryPlugin.Tests.Storage;

/// <summary>
/// The service as a separate process, killed with SIGKILL mid-load and restarted on the same file:
/// an acknowledged request is never lost, none is applied twice, and a request whose answer was lost
/// applies at most once when the platform sends it again.
/// </summary>
[NonParallelizable]
[TestFixtureSource(typeof(Stores), nameof(Stores.Both))]
public sealed class CrashConsistencyTests(StoreKind store)
{
    private const int Records = 40;
    private const long StartingQuantity = 60;
    private const int Workers = 16;

    // Answers received before the kill; several kill points, each on the database the previous one left.
    private static readonly int[] KillAfterAnswers = [40, 300, 900];

    private string _directory = null!;
    private Dictionary<string, string> _environment = null!;
    private readonly string _tenant = PluginInstance.NewTenant();
    private PlatformTokens _tokens = null!;
    private MerchantTokens _merchantTokens = null!;
    private Dictionary<string, string?> _storage = null!;

    [SetUp]
    public async Task SetUp()
    {
        _directory = Path.Combine(Path.GetTempPath(), "inventory-plugin-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        var platformKey = RSA.Create(2048);
        var merchantKey = RandomNumberGenerator.GetBytes(32);
        _storage = await Stores.SettingsAsync(store, _directory);
        _environment = ServiceProcess.Environment(_directory, platformKey, merchantKey);
        foreach (var (name, value) in Stores.AsEnvironment(_storage))
        {
            _environment[name] = value;
        }

        _tokens = new PlatformTokens(platformKey, PluginInstance.AppId);
        _merchantTokens = new MerchantTokens(merchantKey, PluginInstance.MerchantIssuer, PluginInstance.MerchantAudience);
    }

    [TearDown]
    public void TearDown()
    {
        SqliteConnection.ClearAllPools();
        Npgsql.NpgsqlConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    [Test]
    public async Task Killed_mid_load_the_service_loses_nothing_and_applies_nothing_twice()
    {
        await using (var first = await ServiceProcess.StartAsync(_directory, _environment))
        {
            await first.SeedAsync(_merchantTokens, _tenant, Enumerable.Range(0, Records).Select(i => ($"item-{i}", StartingQuantity)));
        }

        var random = new Random(20261122);
        var sent = new Dictionary<string, SignedRequest>();
        var answers = new ConcurrentDictionary<string, int>();
        var lost = new List<SignedRequest>();
        foreach (var killAfter in KillAfterAnswers)
        {
            var batch = Enumerable.Range(0, 3000).Select(_ => NewRequest(random)).ToList();
            foreach (var request in batch)
            {
                sent.Add(request.RequestId, request);
            }

            var service = await ServiceProcess.StartAsync(_directory, _environment);
            var (answered, lostHere) = await DriveUntilKilledAsync(service, batch, killAfter);
            await service.DisposeAsync();
            foreach (var (requestId, status) in answered)
            {
                answers[requestId] = status;
            }

            lost.AddRange(lostHere);
            Assert.That(answered, Has.Count.GreaterThanOrEqualTo(killAfter), "the kill came before the load it was meant to interrupt");
            Assert.That(lostHere, Is.Not.Empty, $"killing after {killAfter} answers interrupted no request");
            await AssertLedgerConsistentAsync($"after the kill at {killAfter} answers");
            AssertEveryAnswerMatchesTheLedger(answers, sent, $"after the kill at {killAfter} answers");
        }

        // The platform retries every request whose answer it never got, with the same requestId; twice, to prove a
        // retry of a retry changes nothing either.
        await using (var restarted = await ServiceProcess.StartAsync(_directory, _environment))
        {
            for (var round = 0; round < 2; round++)
            {
                foreach (var request in lost)
                {
                    var (status, _) = await restarted.SendPlatformAsync(request.Path, request.Token);
                    Assert.That(status, Is.EqualTo(200).Or.EqualTo(428), $"retry of {request.RequestId}");
                    if (round == 1)
                    {
                        Assert.That(status, Is.EqualTo(answers[request.RequestId]), $"the second retry of {request.RequestId} answered differently");
                    }

                    answers[request.RequestId] = status;
                }
            }
        }

        await AssertLedgerConsistentAsync("after the retries");
        AssertEveryAnswerMatchesTheLedger(answers, sent, "after the retries");
        var applied = AppliedRequests();
        Assert.That(applied.Keys, Is.SubsetOf(sent.Keys), "the ledger holds a request nobody sent");
        var refused = answers.Count(a => a.Value == 428);
        Assert.That(refused, Is.Positive, "no decrement was refused: the load never met the floor it is meant to test");
        TestContext.Out.WriteLine($"{sent.Count} requests prepared, {answers.Count} answered ({refused} refused), {lost.Count} answers lost to kills, {applied.Count} applied.");
    }

    private sealed record SignedRequest(string RequestId, string Path, string Token, IReadOnlyDictionary<string, long> Deltas);

    /// <summary>Mixed traffic: restricted and unrestricted decrements of 1–3 items, and increments.</summary>
    private SignedRequest NewRequest(Random random)
    {
        var requestId = Guid.NewGuid().ToString();
        var items = Enumerable.Range(0, random.Next(1, 4))
            .Select(_ => (Item: "item-" + random.Next(Records), Quantity: random.Next(1, 6)))
            .ToList();
        var increment = random.Next(4) == 0;
        var envelope = increment
            ? Envelopes.Increment(_tenant, items.Select(i => Envelopes.Item(i.Item, i.Quantity)), requestId)
            : Envelopes.Decrement(_tenant, items.Select(i => Envelopes.Item(i.Item, i.Quantity)), restrict: random.Next(3) != 0, requestId);
        var deltas = items.GroupBy(i => i.Item).ToDictionary(g => g.Key, g => (increment ? 1 : -1) * (long)g.Sum(i => i.Quantity));
        var token = _tokens.Sign(envelope, claims => claims["exp"] = PlatformTokens.Now + 3600);
        return new SignedRequest(requestId, increment ? "v1/increment" : "v1/decrement", token, deltas);
    }

    /// <summary>Sends the batch from several workers and SIGKILLs the service once <paramref name="killAfter"/> answers came back.</summary>
    private static async Task<(Dictionary<string, int> Answered, List<SignedRequest> Lost)> DriveUntilKilledAsync(
        ServiceProcess service, IReadOnlyList<SignedRequest> batch, int killAfter)
    {
        var answered = new ConcurrentDictionary<string, int>();
        var lost = new ConcurrentBag<SignedRequest>();
        var next = -1;
        var killed = 0;
        async Task Worker()
        {
            while (Interlocked.Increment(ref next) is var index && index < batch.Count)
            {
                var request = batch[index];
                try
                {
                    var (status, body) = await service.SendPlatformAsync(request.Path, request.Token);
                    Assert.That(status, Is.EqualTo(200).Or.EqualTo(428), body);
                    answered[request.RequestId] = status;
                }
                catch (HttpRequestException)
                {
                    lost.Add(request);
                    return;
                }

                if (answered.Count >= killAfter && Interlocked.Exchange(ref killed, 1) == 0)
                {
                    service.Kill();
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(Worker)));
        Assert.That(killed, Is.EqualTo(1), "the batch ran out before the kill point");
        return (answered.ToDictionary(), lost.ToList());
    }

    /// <summary>The service's own verification, run as the operator would: <c>InventoryPlugin verify-ledger</c>.</summary>
    private async Task AssertLedgerConsistentAsync(string when)
    {
        var (exitCode, output) = await ServiceProcess.RunCommandAsync(_directory, _environment, "verify-ledger");
        Assert.That(exitCode, Is.EqualTo(0), $"{when}: {output}");

        // And the invariant in the test's own words: quantity = starting quantity + the requests' deltas.
        using var connection = Open();
        var quantities = connection.Query<(string Item, long Quantity)>(
            "SELECT catalog_item_id, quantity FROM stock_records WHERE instance_id = @tenant", new { tenant = _tenant }).ToDictionary(r => r.Item, r => r.Quantity);
        var deltas = connection.Query<(string Item, long Delta)>(
            """
            SELECT r.catalog_item_id, CAST(SUM(l.delta) AS BIGINT) FROM ledger l JOIN stock_records r ON r.id = l.record_id
            WHERE l.instance_id = @tenant AND l.request_id IS NOT NULL GROUP BY r.catalog_item_id
            """,
            new { tenant = _tenant }).ToDictionary(r => r.Item, r => r.Delta);
        Assert.That(quantities, Has.Count.EqualTo(Records), when);
        foreach (var (item, quantity) in quantities)
        {
            Assert.That(quantity, Is.EqualTo(StartingQuantity + deltas.GetValueOrDefault(item)), $"{when}: {item}");
        }
    }

    /// <summary>A 200 is in the ledger exactly once (one row per record it changed, with its summed delta), a 428 not at all.</summary>
    private void AssertEveryAnswerMatchesTheLedger(IReadOnlyDictionary<string, int> answers, IReadOnlyDictionary<string, SignedRequest> sent, string when)
    {
        var applied = AppliedRequests();
        Assert.Multiple(() =>
        {
            foreach (var (requestId, status) in answers)
            {
                if (status == 200)
                {
                    Assert.That(applied.GetValueOrDefault(requestId, []), Is.EquivalentTo(sent[requestId].Deltas),
                        $"{when}: acknowledged request {requestId} is not in the ledger exactly once");
                }
                else
                {
                    Assert.That(applied.ContainsKey(requestId), Is.False, $"{when}: refused request {requestId} is in the ledger");
                }
            }
        });
    }

    /// <summary>Per request in the ledger, its rows as (catalog item, delta).</summary>
    private Dictionary<string, List<KeyValuePair<string, long>>> AppliedRequests()
    {
        using var connection = Open();
        return connection.Query<(string RequestId, string Item, long Delta)>(
                """
                SELECT l.request_id, r.catalog_item_id, l.delta FROM ledger l JOIN stock_records r ON r.id = l.record_id
                WHERE l.instance_id = @tenant AND l.request_id IS NOT NULL
                """,
                new { tenant = _tenant })
            .GroupBy(r => r.RequestId)
            .ToDictionary(g => g.Key, g => g.Select(r => KeyValuePair.Create(r.Item, r.Delta)).ToList());
    }

    private System.Data.Common.DbConnection Open() => Stores.Open(_storage);
}
