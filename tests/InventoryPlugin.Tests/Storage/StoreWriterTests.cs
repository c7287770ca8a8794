using Dapper;
using InventoryPlugin.Storage;
using InventoryPlugin.Storage.Sqlite;
using InventoryPlugin.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace InventoryPlugin.Tests.Storage;

/// <summary>Group commit: writes that share a transaction still succeed or fail alone, and only after the commit.</summary>
public sealed class StoreWriterTests
{
    private PluginInstance _plugin = null!;
    private StoreWriter _writer = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _plugin = await PluginInstance.StartAsync();
        _writer = _plugin.Services.GetRequiredService<StoreWriter>();
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _plugin.DisposeAsync();

    [Test]
    public async Task A_failing_write_in_a_batch_is_rolled_back_alone()
    {
        var tenant = PluginInstance.NewTenant();
        using var gate = new ManualResetEventSlim();
        // Holds the writer so that the next writes queue up and are taken as one batch.
        var blocker = _writer.WriteAsync(_ => gate.Wait(TimeSpan.FromSeconds(10)), CancellationToken.None);
        await Task.Delay(50);
        var good1 = _writer.WriteAsync(c => InsertSetting(c, tenant + "-1"), CancellationToken.None);
        var bad = _writer.WriteAsync<int>(c =>
        {
            InsertSetting(c, tenant + "-2");
            throw new InvalidOperationException("boom");
        }, CancellationToken.None);
        var good2 = _writer.WriteAsync(c => InsertSetting(c, tenant + "-3"), CancellationToken.None);
        gate.Set();

        await Task.WhenAll(blocker, good1, good2);
        Assert.Multiple(() =>
        {
            Assert.That(async () => await bad, Throws.InvalidOperationException.With.Message.EqualTo("boom"));
            Assert.That(Settings(tenant), Is.EqualTo(new[] { tenant + "-1", tenant + "-3" }));
        });
    }

    [Test]
    public async Task A_write_completes_only_once_it_is_committed()
    {
        var tenant = PluginInstance.NewTenant();

        await _writer.WriteAsync(c => InsertSetting(c, tenant), CancellationToken.None);

        // A separate connection sees it: it is committed, not just written inside an open transaction.
        Assert.That(Settings(tenant), Is.EqualTo(new[] { tenant }));
    }

    [Test]
    public void Migrations_are_applied_once_and_are_repeatable()
    {
        using var connection = new SqliteConnection($"Data Source={_plugin.DatabasePath}");
        connection.Open();

        SqliteMigrator.Migrate(connection);

        Assert.Multiple(() =>
        {
            Assert.That(SqliteMigrator.AppliedVersion(connection), Is.EqualTo(SqliteMigrator.Scripts.LatestVersion));
            Assert.That(connection.ExecuteScalar<long>("SELECT COUNT(*) FROM schema_migrations"), Is.EqualTo(SqliteMigrator.Scripts.Known.Count));
        });
    }

    [Test]
    public async Task The_ledger_refuses_updates_and_deletes()
    {
        var tenant = PluginInstance.NewTenant();
        await _plugin.SeedAsync(tenant, "shirt", 5);
        using var connection = new SqliteConnection($"Data Source={_plugin.DatabasePath}");
        connection.Open();

        Assert.Multiple(() =>
        {
            Assert.That(() => connection.Execute("UPDATE ledger SET delta = 0 WHERE instance_id = @tenant", new { tenant }),
                Throws.TypeOf<SqliteException>().With.Message.Contains("append-only"));
            Assert.That(() => connection.Execute("DELETE FROM ledger WHERE instance_id = @tenant", new { tenant }),
                Throws.TypeOf<SqliteException>().With.Message.Contains("append-only"));
        });
    }

    private static int InsertSetting(WriteContext context, string instanceId) =>
        context.Connection.Execute(
            "INSERT INTO tenant_settings (instance_id, revision, updated_at) VALUES (@instanceId, 1, 0)",
            new { instanceId },
            context.Transaction);

    private List<string> Settings(string prefix)
    {
        using var connection = new SqliteConnection($"Data Source={_plugin.DatabasePath}");
        connection.Open();
        return connection.Query<string>(
            "SELECT instance_id FROM tenant_settings WHERE instance_id LIKE @prefix || '%' ORDER BY instance_id", new { prefix }).ToList();
    }
}
