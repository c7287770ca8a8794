using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using InventoryPlugin.Hosting;
using InventoryPlugin.Storage;
using InventoryPlugin.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static InventoryPlugin.Tests.Merchant.MerchantCalls;

namespace InventoryPlugin.Tests.Merchant;

/// <summary>Recomputing quantities from the ledger: the merchant route and the operator's command.</summary>
[TestFixtureSource(typeof(Stores), nameof(Stores.Both))]
public sealed class LedgerVerificationTests(StoreKind store)
{
    private PluginInstance _plugin = null!;
    private string _tenant = null!;
    private HttpClient _client = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _plugin = await PluginInstance.StartAsync(store: store);
        _tenant = PluginInstance.NewTenant();
        _client = _plugin.Merchant(_tenant);
    }

    [TearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _plugin.DisposeAsync();
    }

    [Test]
    public async Task Every_kind_of_change_keeps_the_ledger_consistent()
    {
        var shirt = await _client.CreateAsync(Counted("shirt", 10));
        await _client.CreateAsync(Counted("mug", 3));
        await _plugin.DecrementAsync(Envelopes.Decrement(_tenant, [Envelopes.Item("shirt", 4), Envelopes.Item("mug", 1)]));
        await _plugin.DecrementAsync(Envelopes.Decrement(_tenant, [Envelopes.Item("lamp", 2)], restrict: false));
        await _plugin.IncrementAsync(Envelopes.Increment(_tenant, [Envelopes.Item("shirt", 1)]));
        await _client.CallAsync(HttpMethod.Post, $"inventory-items/{shirt.Id}/adjust", new JsonObject { ["delta"] = -2, ["reason"] = "damaged" });
        await _client.CallAsync(HttpMethod.Patch, $"inventory-items/{shirt.Id}", new JsonObject { ["revision"] = (await _client.GetItemAsync(shirt.Id))["revision"]!.GetValue<long>(), ["quantity"] = 40 });

        var report = await VerifyAsync(_client);

        Assert.Multiple(() =>
        {
            Assert.That(report["consistent"]!.GetValue<bool>(), Is.True, report.ToJsonString());
            Assert.That(report["records"]!.GetValue<long>(), Is.EqualTo(3), "shirt, mug and the auto-created lamp");
            Assert.That(report["entries"]!.GetValue<long>(), Is.EqualTo(_plugin.Ledger(_tenant).Count));
            Assert.That(report["drifts"]!.AsArray(), Is.Empty);
        });
    }

    [Test]
    public async Task A_quantity_changed_behind_the_ledgers_back_is_reported_for_that_tenant_only()
    {
        var shirt = await _client.CreateAsync(Counted("shirt", 10));
        await _client.CreateAsync(Counted("mug", 3));
        using var neighbour = _plugin.Merchant(PluginInstance.NewTenant());
        await neighbour.CreateAsync(Counted("shirt", 5));
        Tamper("UPDATE stock_records SET quantity = quantity + 3 WHERE id = @id", shirt.Id);

        var report = await VerifyAsync(_client);
        var neighbours = await VerifyAsync(neighbour);

        Assert.Multiple(() =>
        {
            Assert.That(report["consistent"]!.GetValue<bool>(), Is.False);
            Assert.That(report["drifts"]!.AsArray(), Has.Count.EqualTo(1));
            Assert.That(report["drifts"]![0]!["itemId"]!.GetValue<string>(), Is.EqualTo(shirt.Id));
            Assert.That(report["drifts"]![0]!["quantity"]!.GetValue<long>(), Is.EqualTo(13));
            Assert.That(report["drifts"]![0]!["ledgerSum"]!.GetValue<long>(), Is.EqualTo(10));
            Assert.That(report["drifts"]![0]!["drift"]!.GetValue<long>(), Is.EqualTo(3));
            Assert.That(neighbours["consistent"]!.GetValue<bool>(), Is.True, "another tenant's drift leaked into this report");
        });
    }

    [Test]
    public async Task A_ledger_entry_out_of_step_with_its_running_sum_is_reported()
    {
        var shirt = await _client.CreateAsync(Counted("shirt", 10));
        await _plugin.DecrementAsync(Envelopes.Decrement(_tenant, [Envelopes.Item("shirt", 4)]));

        // An entry slipped in by hand: quantity and total agree again, but the chain of quantityAfter does not.
        // SQLite's ledger also keeps the record's number (schema version 6).
        var (numberColumn, number) = store == StoreKind.Sqlite ? (", record_no", ", (SELECT no FROM record_numbers WHERE record_id = id)") : ("", "");
        Tamper($"""
            INSERT INTO ledger (instance_id, record_id, delta, quantity_after, operation, actor_type, created_at{numberColumn})
            SELECT instance_id, id, 5, 99, 'ADJUST', 'MERCHANT', 0{number} FROM stock_records WHERE id = @id;
            UPDATE stock_records SET quantity = quantity + 5 WHERE id = @id;
            """, shirt.Id);

        var report = await VerifyAsync(_client);

        Assert.Multiple(() =>
        {
            Assert.That(report["consistent"]!.GetValue<bool>(), Is.False);
            Assert.That(report["drifts"]!.AsArray(), Is.Empty);
            Assert.That(report["brokenEntries"]!.AsArray(), Has.Count.EqualTo(1));
            Assert.That(report["brokenEntries"]![0]!["quantityAfter"]!.GetValue<long>(), Is.EqualTo(99));
            Assert.That(report["brokenEntries"]![0]!["runningSum"]!.GetValue<long>(), Is.EqualTo(11));
        });
    }

    [Test]
    public async Task The_verify_ledger_command_exits_non_zero_on_drift_and_names_the_record()
    {
        var shirt = await _client.CreateAsync(Counted("shirt", 10));
        var before = await RunCommandAsync();
        Tamper("UPDATE stock_records SET quantity = 0 WHERE id = @id", shirt.Id);
        var after = await RunCommandAsync();

        Assert.Multiple(() =>
        {
            Assert.That(before.ExitCode, Is.Zero, before.Output);
            Assert.That(before.Output, Does.Contain("Consistent"));
            Assert.That(after.ExitCode, Is.EqualTo(1), after.Output);
            Assert.That(after.Output, Does.Contain($"item {shirt.Id}: quantity 0, ledger sum 10"));
        });
    }

    [Test]
    public async Task The_verify_route_needs_the_read_scope()
    {
        using var writer = _plugin.Merchant(_tenant, "inventory:write");
        var answer = await writer.CallAsync(HttpMethod.Get, "ledger/verify");
        Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.Forbidden), answer.ToString());
    }

    private static async Task<JsonNode> VerifyAsync(HttpClient client)
    {
        var answer = await client.CallAsync(HttpMethod.Get, "ledger/verify");
        Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
        return answer.Json!;
    }

    private void Tamper(string sql, string id)
    {
        using var connection = _plugin.OpenDatabase();
        connection.Execute(sql, new { id });
    }

    private async Task<(int ExitCode, string Output)> RunCommandAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = _plugin.Directory, EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(_plugin.StorageSettings);
        using var output = new StringWriter();
        var exitCode = await ServiceCommands.RunAsync(builder, [ServiceCommands.VerifyLedger], output);
        return (exitCode, output.ToString());
    }
}
