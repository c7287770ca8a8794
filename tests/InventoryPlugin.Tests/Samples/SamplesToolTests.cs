using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using InventoryPlugin.Samples;
using InventoryPlugin.Tests.Infrastructure;

namespace InventoryPlugin.Tests.Samples;

/// <summary>
/// The samples tool's commands, run the way the README runs them, against an instance started with no
/// configuration: the tool finds the development keys the service made and nothing else is shared.
/// </summary>
public sealed class SamplesToolTests
{
    private static readonly string SamplesFolder = Path.Combine(SampleReplayTests.RepositoryRoot(), "samples");

    private PluginInstance _plugin = null!;

    [SetUp]
    public async Task StartAsync() => _plugin = await PluginInstance.StartDevelopmentAsync();

    [TearDown]
    public async Task StopAsync() => await _plugin.DisposeAsync();

    [Test]
    public async Task Replay_of_the_samples_folder_passes_and_passes_again_when_repeated()
    {
        var first = await RunAsync("replay", SamplesFolder, "--url", Url);
        var second = await RunAsync("replay", SamplesFolder, "--url", Url);

        var steps = Manifest.Load(SamplesFolder).Steps.Count;
        Assert.Multiple(() =>
        {
            Assert.That(first.ExitCode, Is.Zero, first.Output);
            Assert.That(first.Output, Does.Contain($"{steps} as expected, 0 differed"));
            Assert.That(second.ExitCode, Is.Zero, "a second replay meets the stored answers of the first: " + second.Output);
            Assert.That(second.Output, Does.Contain("PASS payloads/allocation-reserve-for-order.json: 200"), "the order's hold is given back by its idempotencyKey");
        });
    }

    [Test]
    public async Task Replay_of_one_file_that_needs_an_earlier_steps_id_says_so_and_exits_2()
    {
        var result = await RunAsync("replay", Path.Combine(SamplesFolder, "payloads", "allocation-commit.json"), "--url", Url, "--tenant", PluginInstance.NewTenant());

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(2), result.Output);
            Assert.That(result.Output, Does.Contain("needs {{hold}} from an earlier step"));
        });
    }

    [Test]
    public async Task Replay_of_one_file_seeds_what_it_needs_and_shows_the_refusal()
    {
        var result = await RunAsync("replay", Path.Combine(SamplesFolder, "payloads", "checkout-short.json"), "--url", Url, "--tenant", PluginInstance.NewTenant());

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.Zero, result.Output);
            Assert.That(result.Output, Does.Contain("PASS payloads/checkout-short.json: 428"));
            Assert.That(result.Output, Does.Contain("INSUFFICIENT_STOCK"));
        });
    }

    [Test]
    public async Task Replay_exits_non_zero_when_an_outcome_differs_from_the_manifest()
    {
        var folder = CopyOfSamples();
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(folder, Manifest.FileName)))!;
        var shortStep = manifest["steps"]!.AsArray().First(s => s!["sample"]!.GetValue<string>().EndsWith("checkout-short.json", StringComparison.Ordinal))!;
        shortStep["status"] = 200;
        shortStep["code"] = null;
        await File.WriteAllTextAsync(Path.Combine(folder, Manifest.FileName), manifest.ToJsonString());

        var result = await RunAsync("replay", folder, "--url", Url, "--tenant", PluginInstance.NewTenant());

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(1), result.Output);
            Assert.That(result.Output, Does.Contain("FAIL payloads/checkout-short.json: 428"));
            Assert.That(result.Output, Does.Contain("1 differed"));
        });
    }

    [Test]
    public async Task Sign_prints_a_token_the_service_accepts()
    {
        var tenant = PluginInstance.NewTenant();
        var sample = Sample.Load(Path.Combine(SamplesFolder, "payloads", "order-canceled.json"));
        var file = Path.Combine(_plugin.Directory, "canceled.json");
        await File.WriteAllTextAsync(file, new JsonObject
        {
            ["description"] = sample.Description,
            ["endpoint"] = sample.Endpoint,
            ["data"] = sample.ForTenant(tenant),
        }.ToJsonString());

        var result = await RunAsync("sign", file);
        var answer = await _plugin.SendAsync("/v1/increment", result.Output.Trim());

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.Zero, result.Output);
            Assert.That(result.Output.Trim().Split('.'), Has.Length.EqualTo(3));
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
        });
    }

    [Test]
    public async Task Token_prints_a_merchant_token_with_the_tenant_and_scopes_asked_for()
    {
        var tenant = PluginInstance.NewTenant();
        var reader = await RunAsync("token", "--instance", tenant, "--scope", "inventory:read");

        using var client = new HttpClient { BaseAddress = new Uri(_plugin.Http.BaseAddress!, "api/v1/") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", reader.Output.Trim());
        using var read = await client.GetAsync(new Uri("settings", UriKind.Relative));
        using var write = await client.PostAsync(new Uri("inventory-items", UriKind.Relative), new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));

        Assert.Multiple(() =>
        {
            Assert.That(read.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(write.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "a read-only token wrote");
        });
    }

    [Test]
    public async Task Without_a_command_it_prints_its_usage_and_exits_2()
    {
        var result = await RunAsync();
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(2));
            Assert.That(result.Output, Does.Contain("replay FILE|DIR --url URL"));
        });
    }

    private string Url => _plugin.Http.BaseAddress!.ToString();

    /// <summary>The tool's entry point, with the keys of the instance under test (<c>--root</c>) as it would find the service's own.</summary>
    private async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        string[] withRoot = args.Length == 0 ? [] : [.. args, "--root", _plugin.Directory];
        var exitCode = await SamplesCommand.RunAsync(withRoot, output, output);
        return (exitCode, output.ToString());
    }

    private string CopyOfSamples()
    {
        var copy = Path.Combine(_plugin.Directory, "samples-copy");
        foreach (var file in Directory.GetFiles(SamplesFolder, "*.json", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(SamplesFolder, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return copy;
    }
}
