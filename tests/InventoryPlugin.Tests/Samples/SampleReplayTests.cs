using System.Text.Json.Nodes;
using InventoryPlugin.Samples;
using InventoryPlugin.Tests.Infrastructure;

namespace InventoryPlugin.Tests.Samples;

/// <summary>
/// Contract part 5: every recorded sample, re-signed now with the development key of an instance
/// started as the README starts it, gives the outcome its manifest states.
/// </summary>
public sealed class SampleReplayTests
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
        _plugin = await PluginInstance.StartDevelopmentAsync();
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
            Assert.That(manifest.Steps.Select(s => s.Status).Distinct(), Is.SupersetOf(new[] { 200, 400, 401, 428 }));
            foreach (var file in files)
            {
                Assert.That(() => Sample.Load(Path.Combine(SamplesFolder, file)), Throws.Nothing, file);
            }
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
