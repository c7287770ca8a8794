using System.Net;
using InventoryPlugin.Tests.Infrastructure;
using Npgsql;
using static InventoryPlugin.Tests.Merchant.MerchantCalls;

namespace InventoryPlugin.Tests.Storage;

/// <summary>
/// The database goes away while the service runs (a relay in front of PostgreSQL is cut): readiness
/// says so, every request gets a clear 503 and changes nothing, and both recover by themselves.
/// </summary>
[NonParallelizable]
public sealed class PostgresOutageTests
{
    private TcpProxy _proxy = null!;
    private PluginInstance _plugin = null!;

    [SetUp]
    public async Task StartAsync()
    {
        var direct = new NpgsqlConnectionStringBuilder(await PostgresServer.CreateDatabaseAsync());
        _proxy = new TcpProxy(direct.Port);
        var relayed = new NpgsqlConnectionStringBuilder(direct.ConnectionString) { Port = _proxy.Port, Timeout = 3 };
        _plugin = await PluginInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["Storage:ConnectionString"] = relayed.ConnectionString,
        });
    }

    [TearDown]
    public async Task StopAsync()
    {
        _proxy.Restore();
        await _plugin.DisposeAsync();
        await _proxy.DisposeAsync();
    }

    [Test]
    public async Task While_the_database_is_unreachable_requests_get_503_and_change_nothing_then_it_recovers()
    {
        var tenant = PluginInstance.NewTenant();
        var shirt = await _plugin.SeedAsync(tenant, "shirt", 5);
        var token = _plugin.Tokens.Sign(Envelopes.Decrement(tenant, [Envelopes.Item("shirt", 2)], requestId: "outage-1"));
        using var merchant = _plugin.Merchant(tenant);

        _proxy.Cut();
        var ready = await _plugin.Http.GetAsync("/readyz");
        var decrement = await _plugin.SendAsync("/v1/decrement", token);
        var read = await merchant.CallAsync(HttpMethod.Post, "inventory-items/query", new System.Text.Json.Nodes.JsonObject());

        Assert.Multiple(() =>
        {
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), "readyz while the database is away");
            Assert.That(decrement.Status, Is.EqualTo(503), decrement.Body);
            Assert.That(decrement.ErrorCode, Is.EqualTo("UNAVAILABLE"), decrement.Body);
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), read.ToString());
            Assert.That(read.Code, Is.EqualTo("STORE_UNAVAILABLE"), read.ToString());
        });

        _proxy.Restore();
        var recovered = false;
        for (var attempt = 0; attempt < 100 && !recovered; attempt++)
        {
            using var response = await _plugin.Http.GetAsync("/readyz");
            recovered = response.IsSuccessStatusCode;
            await Task.Delay(recovered ? 0 : 100);
        }

        // The platform retries the request that got a 503: it applies now, once.
        var retry = await _plugin.SendAsync("/v1/decrement", token);
        var again = await _plugin.SendAsync("/v1/decrement", token);
        Assert.Multiple(() =>
        {
            Assert.That(recovered, Is.True, "readyz never recovered");
            Assert.That(retry.Status, Is.EqualTo(200), retry.Body);
            Assert.That(again.Status, Is.EqualTo(200), again.Body);
            Assert.That(_plugin.QuantityOf(shirt), Is.EqualTo(3));
            Assert.That(_plugin.Ledger(tenant).Count(e => e.Operation == "DECREMENT"), Is.EqualTo(1));
        });
    }
}
