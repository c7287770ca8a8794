using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InventoryPlugin.Samples;
using InventoryPlugin.Tests.Infrastructure;

namespace InventoryPlugin.Tests.Samples;

/// <summary>
/// Contract part 5: every recorded sample, re-signed now with the development key of an instance
/// started as the README starts it, gives the outcome its manifest states; on both stores, since the
/// allocation flows lean on each store's own handling of holds.
/// </summary>
[TestFixtureSource(typeof(Stores), nameof(Stores.Both))]
public sealed class SampleReplayTests(StoreKind store)
{
    private static readonly string SamplesFolder = Path.Combine(RepositoryRoot(), "samples");

    private PluginInstance _plugin = null!;
    private HttpClient _http = null!;
    private Replayer _replayer = null!;

    public static IEnumerable<TestCaseData> Steps() =>
        Manifest.Load(SamplesFolder).Steps.Select((step, index) =>
            new TestCaseData(index).SetName($"Sample {index + 1:00} {Path.GetFileNameWithoutExtension(step.Sample)} answers {step.Status}"));

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _plugin = await PluginInstance.StartDevelopmentAsync(store);
        _http = new HttpClient { BaseAddress = _plugin.Http.BaseAddress };
        _replayer = new Replayer(_http, new SampleSigner(DevelopmentCredentials.LoadOrCreate(_plugin.Directory)));
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _http.Dispose();
        await _plugin.DisposeAsync();
    }

    /// <summary>Each step on a tenant of its own, after the steps before it (they make the state it is recorded against).</summary>
    [TestCaseSource(nameof(Steps))]
    public async Task Replays_as_the_manifest_states(int index)
    {
        var results = await _replayer.ReplayAsync(SamplesFolder, PluginInstance.NewTenant(), count: index + 1);

        var step = results[^1];
        Assert.Multiple(() =>
        {
            Assert.That(step.Status, Is.EqualTo(step.ExpectedStatus), step.Body);
            Assert.That(step.Code, Is.EqualTo(step.ExpectedCode ?? step.Code), step.Body);
            Assert.That(step.BodyDifference, Is.Null, step.Body);
            Assert.That(results.Where(r => !r.Passed).Select(r => r.Sample), Is.Empty, "an earlier step went differently");
        });
    }

    [Test]
    public void The_manifest_covers_every_sample_and_every_flow_of_the_contract()
    {
        var manifest = Manifest.Load(SamplesFolder);
        var files = Directory.GetFiles(Path.Combine(SamplesFolder, "payloads"), "*.json")
            .Select(f => Path.GetRelativePath(SamplesFolder, f).Replace('\\', '/'));
        var replayed = manifest.Steps.Select(s => s.Sample).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(replayed.Distinct(), Is.EquivalentTo(files), "a payload the manifest never replays, or a step without its file");
            Assert.That(manifest.Steps.Select(s => s.Status).Distinct(), Is.SupersetOf(new[] { 200, 201, 400, 401, 409, 428 }));
            Assert.That(manifest.Steps.Sum(s => s.WaitSeconds ?? 0), Is.LessThanOrEqualTo(3), "a replay that mostly waits");
            foreach (var file in files)
            {
                Assert.That(() => Sample.Load(Path.Combine(SamplesFolder, file)).Target, Throws.Nothing, file);
            }
        });
    }

    [Test]
    public void Every_placeholder_is_saved_by_an_earlier_step()
    {
        var saved = new HashSet<string>(StringComparer.Ordinal);
        var unsaved = new List<string>();
        foreach (var step in Manifest.Load(SamplesFolder).Steps)
        {
            unsaved.AddRange(Sample.Load(Path.Combine(SamplesFolder, step.Sample)).Placeholders.Where(p => !saved.Contains(p)).Select(p => $"{step.Sample}: {{{{{p}}}}}"));
            if (step.Save is { } name)
            {
                saved.Add(name);
            }
        }

        Assert.That(unsaved, Is.Empty);
    }

    /// <summary>The candles are seeded as many as the order holds: the decrement succeeds only because its own hold is not counted against it.</summary>
    [Test]
    public async Task The_decrement_of_an_order_uses_up_its_hold_and_takes_the_units_once()
    {
        var tenant = PluginInstance.NewTenant();
        var results = await _replayer.ReplayAsync(SamplesFolder, tenant);
        var decrement = results.Single(r => r.Sample.EndsWith("checkout-with-allocation.json", StringComparison.Ordinal));

        var candle = await CandleAsync(tenant);
        Assert.Multiple(() =>
        {
            Assert.That(decrement.Status, Is.EqualTo(200), decrement.Body);
            Assert.That(candle["quantity"]!.GetValue<long>(), Is.Zero, "the hold and the decrement both took the candles");
            Assert.That(candle["allocated"]!.GetValue<long>(), Is.Zero, "the order's hold is still open");
        });
    }

    /// <summary>The other side of the flow above: the same seed, held for another order, leaves the recorded decrement nothing to take.</summary>
    [Test]
    public async Task The_same_decrement_is_refused_when_the_candles_are_held_for_another_order()
    {
        var tenant = PluginInstance.NewTenant();
        await _replayer.SeedAsync(SamplesFolder, Manifest.Load(SamplesFolder), tenant);
        var hold = Sample.Load(Path.Combine(SamplesFolder, "payloads", "allocation-reserve-for-order.json"));
        var body = hold.Body!.DeepClone().AsObject();
        body["orderId"] = Guid.NewGuid().ToString();
        body.Remove("idempotencyKey");

        var otherOrdersHold = await _replayer.SendAsync(hold with { Body = body }, tenant);
        var decrement = await _replayer.SendAsync(Sample.Load(Path.Combine(SamplesFolder, "payloads", "checkout-with-allocation.json")), tenant);

        var candle = await CandleAsync(tenant);
        Assert.Multiple(() =>
        {
            Assert.That(otherOrdersHold.Status, Is.EqualTo(201), otherOrdersHold.Body);
            Assert.That(decrement.Status, Is.EqualTo(428), decrement.Body);
            Assert.That(JsonNode.Parse(decrement.Body)!["applicationError"]!["code"]!.GetValue<string>(), Is.EqualTo("DECREMENT_NOT_POSSIBLE"));
            Assert.That(candle["quantity"]!.GetValue<long>(), Is.EqualTo(2));
            Assert.That(candle["allocated"]!.GetValue<long>(), Is.EqualTo(2));
        });
    }

    [Test]
    public async Task A_refused_checkout_lists_the_item_it_is_short_of()
    {
        var results = await _replayer.ReplayAsync(SamplesFolder, PluginInstance.NewTenant());
        var shortCheckout = results.First(r => r.Sample.EndsWith("checkout-short.json", StringComparison.Ordinal));
        var items = JsonNode.Parse(shortCheckout.Body)!["applicationError"]!["data"]!["items"]!.AsArray();
        Assert.That(items.Select(i => i!["catalogReference"]!["catalogItemId"]!.GetValue<string>()), Is.EqualTo(new[] { "mug" }), shortCheckout.Body);
    }

    /// <summary>The candles' availability as the merchant API reports it (quantity, allocated, available).</summary>
    private async Task<JsonNode> CandleAsync(string tenant)
    {
        using var merchant = _plugin.Merchant(tenant);
        using var response = await merchant.PostAsJsonAsync(new Uri("availability", UriKind.Relative), new
        {
            items = new[] { new { catalogReference = new { appId = "215238eb-22a5-4c36-9e7b-e7c08025e04e", catalogItemId = "candle" } } },
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(200), body);
        return JsonNode.Parse(body)!["items"]![0]!;
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "InventoryPlugin.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("No InventoryPlugin.sln above " + AppContext.BaseDirectory);
    }
}
