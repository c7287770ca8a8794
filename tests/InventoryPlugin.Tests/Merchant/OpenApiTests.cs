using System.Net;
using System.Text.Json.Nodes;
using InventoryPlugin.Tests.Infrastructure;

namespace InventoryPlugin.Tests.Merchant;

/// <summary>Contract part 4: the OpenAPI document describes the merchant routes and the platform routes.</summary>
public sealed class OpenApiTests
{
    private PluginInstance _plugin = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _plugin = await PluginInstance.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _plugin.DisposeAsync();

    [Test]
    public async Task The_document_lists_every_merchant_route_and_both_platform_routes()
    {
        using var response = await _plugin.Http.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        var paths = document["paths"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.AsObject().Select(m => m.Key.ToUpperInvariant()).ToHashSet());
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
            foreach (var (path, method) in new[]
            {
                ("/v1/decrement", "POST"),
                ("/v1/increment", "POST"),
                ("/api/v1/inventory-items", "POST"),
                ("/api/v1/inventory-items/{id}", "GET"),
                ("/api/v1/inventory-items/{id}", "PATCH"),
                ("/api/v1/inventory-items/{id}", "DELETE"),
                ("/api/v1/inventory-items/query", "POST"),
                ("/api/v1/inventory-items/{id}/adjust", "POST"),
                ("/api/v1/inventory-items/bulk-upsert", "POST"),
                ("/api/v1/inventory-items/export", "GET"),
                ("/api/v1/inventory-items/import", "POST"),
                ("/api/v1/availability", "POST"),
                ("/api/v1/ledger", "GET"),
                ("/api/v1/orders/{orderId}", "GET"),
                ("/api/v1/settings", "GET"),
                ("/api/v1/settings", "PUT"),
                ("/api/v1/events", "GET"),
                ("/api/v1/webhooks", "POST"),
                ("/api/v1/webhooks", "GET"),
                ("/api/v1/webhooks/{id}", "GET"),
                ("/api/v1/webhooks/{id}", "DELETE"),
                ("/api/v1/webhooks/{id}/deliveries", "GET"),
            })
            {
                Assert.That(paths.TryGetValue(path, out var methods) && methods.Contains(method), Is.True, $"{method} {path}; the document has {string.Join(", ", paths.Keys)}");
            }

            Assert.That(document["components"]?["securitySchemes"]?["bearer"], Is.Not.Null, "the merchant API's bearer scheme is described");
        });
    }
}
