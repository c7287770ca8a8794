using InventoryPlugin.Tests.Infrastructure;

namespace InventoryPlugin.Tests.Platform;

/// <summary>Contract 1 and 1.1: how the platform's HTTP arrives (paths, content types, sizes).</summary>
public sealed class WireTests
{
    private PluginInstance _plugin = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _plugin = await PluginInstance.StartAsync(new Dictionary<string, string?> { ["Http:PathBase"] = "/inventory" });

    [OneTimeTearDown]
    public async Task StopAsync() => await _plugin.DisposeAsync();

    [TestCase("text/plain")]
    [TestCase("plain/text")]
    [TestCase("application/json")]
    [TestCase("application/x-www-form-urlencoded")]
    [TestCase(null)]
    public async Task The_body_is_read_as_a_token_whatever_the_content_type_says(string? contentType)
    {
        var tenant = PluginInstance.NewTenant();
        var shirt = await _plugin.SeedAsync(tenant, "shirt", 5);

        var answer = await _plugin.SendAsync("/inventory/v1/decrement", _plugin.Tokens.Sign(Envelopes.Decrement(tenant, [Envelopes.Item("shirt", 1)])), contentType);

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
            Assert.That(_plugin.QuantityOf(shirt), Is.EqualTo(4));
        });
    }

    [TestCase("/inventory//v1/decrement")]
    [TestCase("//inventory/v1/decrement")]
    [TestCase("/inventory/v1/decrement")]
    public async Task A_doubled_slash_is_tolerated(string path)
    {
        var tenant = PluginInstance.NewTenant();
        var shirt = await _plugin.SeedAsync(tenant, "shirt", 5);

        var answer = await _plugin.SendAsync(path, _plugin.Tokens.Sign(Envelopes.Decrement(tenant, [Envelopes.Item("shirt", 1)])));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
            Assert.That(_plugin.QuantityOf(shirt), Is.EqualTo(4));
        });
    }

    [Test]
    public async Task A_body_over_one_mebibyte_is_413()
    {
        var answer = await _plugin.SendAsync("/inventory/v1/decrement", new string('a', (1024 * 1024) + 1));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(413));
            Assert.That(answer.ErrorCode, Is.EqualTo("PAYLOAD_TOO_LARGE"));
        });
    }

    [Test]
    public async Task A_body_over_one_mebibyte_without_a_content_length_is_413()
    {
        using var content = new StreamContent(new MemoryStream(new byte[(1024 * 1024) + 10]));
        using var request = new HttpRequestMessage(HttpMethod.Post, "inventory/v1/decrement") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await _plugin.Http.SendAsync(request);

        Assert.That((int)response.StatusCode, Is.EqualTo(413));
    }

    [Test]
    public async Task Health_and_readiness_answer()
    {
        using var health = await _plugin.Http.GetAsync("inventory/healthz");
        using var ready = await _plugin.Http.GetAsync("inventory/readyz");

        Assert.Multiple(() =>
        {
            Assert.That((int)health.StatusCode, Is.EqualTo(200));
            Assert.That((int)ready.StatusCode, Is.EqualTo(200));
        });
    }

    [Test]
    public async Task One_log_event_per_platform_request_carries_its_identifiers_and_outcome()
    {
        var tenant = PluginInstance.NewTenant();
        await _plugin.SeedAsync(tenant, "shirt", 5);
        var envelope = Envelopes.Decrement(tenant, [Envelopes.Item("shirt", 1), Envelopes.Item("shirt", 1)], reason: "ORDER_PLACED");
        var requestId = envelope["metadata"]!["requestId"]!.GetValue<string>();

        await _plugin.SendAsync("/inventory/v1/decrement", _plugin.Tokens.Sign(envelope));

        var events = _plugin.Logs.Entries.Where(e => e.Properties.TryGetValue("PlatformRequestId", out var id) && Equals(id, requestId)).ToList();
        Assert.That(events, Has.Count.EqualTo(1));
        var properties = events[0].Properties;
        Assert.Multiple(() =>
        {
            Assert.That(properties["InstanceId"], Is.EqualTo(tenant));
            Assert.That(properties["OrderId"], Is.EqualTo(envelope["request"]!["orderId"]!.GetValue<string>()));
            Assert.That(properties["Reason"], Is.EqualTo("ORDER_PLACED"));
            Assert.That(properties["ItemCount"], Is.EqualTo(2));
            Assert.That(properties["Outcome"], Is.EqualTo("applied"));
            Assert.That(properties["StatusCode"], Is.EqualTo(200));
            Assert.That(properties, Does.ContainKey("DurationMs"));
        });
    }
}
