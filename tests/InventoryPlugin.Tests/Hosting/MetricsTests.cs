using System.Text.RegularExpressions;
using InventoryPlugin.Tests.Infrastructure;

namespace InventoryPlugin.Tests.Hosting;

/// <summary>/metrics serves Prometheus text: platform outcomes (428s and replays among them), routes, the writer's batches and queue.</summary>
public sealed class MetricsTests : TenantFixture
{
    [Test]
    public async Task Metrics_count_platform_outcomes_routes_and_group_commit_batches()
    {
        await Plugin.SeedAsync(Tenant, "shirt", 1);
        var paid = Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 1)]);
        var token = Plugin.Tokens.Sign(paid);
        await Plugin.SendAsync("/v1/decrement", token);
        await Plugin.SendAsync("/v1/decrement", token);
        await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 1)]));

        using var response = await Plugin.Http.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Multiple(() =>
        {
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain"));
            Assert.That(Value(text, "inventory_platform_requests_total{operation=\"decrement\",outcome=\"applied\"}"), Is.EqualTo(1));
            Assert.That(Value(text, "inventory_platform_requests_total{operation=\"decrement\",outcome=\"replayed\"}"), Is.EqualTo(1));
            Assert.That(Value(text, "inventory_platform_requests_total{operation=\"decrement\",outcome=\"refused\"}"), Is.EqualTo(1), "the 428");
            Assert.That(Value(text, "inventory_store_commit_batch_size_count"), Is.GreaterThanOrEqualTo(4), "the seed and three requests were committed");
            Assert.That(text, Does.Contain("inventory_store_queue_depth"));
            Assert.That(text, Does.Match("http_requests_received_total\\{code=\"428\",method=\"POST\",controller=\"\",action=\"\",endpoint=\"/v1/decrement\"\\} 1"));
        });
    }

    private static double Value(string text, string series)
    {
        var match = Regex.Match(text, "^" + Regex.Escape(series) + " ([0-9.eE+-]+)$", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : double.NaN;
    }
}
