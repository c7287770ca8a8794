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

        var (good1, bad, good2) = await AsOneBatchAsync(
            c => InsertSetting(c, tenant + "-1"),
            c =>
            {
                InsertSetting(c, tenant + "-2");
                throw new InvalidOperationException("boom");
            },
            c => InsertSetting(c, tenant + "-3"));

        await Task.WhenAll(good1, good2);
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
    public async Task A_prepared_statement_that_breaks_a_constraint_fails_its_write_alone_with_the_sqlite_error()
    {
        var tenant = PluginInstance.NewTenant();

        var (first, duplicate, next) = await AsOneBatchAsync(
            c => InsertSettingPrepared(c, tenant, null),
            c => InsertSettingPrepared(c, tenant, null),
            c => InsertSettingPrepared(c, tenant + "-next", null));

        await Task.WhenAll(first, next);
        Assert.Multiple(() =>
        {
            Assert.That(async () => await duplicate, Throws.TypeOf<SqliteException>()
                .With.Property(nameof(SqliteException.SqliteErrorCode)).EqualTo(SQLitePCL.raw.SQLITE_CONSTRAINT));
            Assert.That(Settings(tenant), Is.EqualTo(new[] { tenant, tenant + "-next" }));
        });
    }

    [Test]
    public async Task A_prepared_statement_binds_text_null_and_numbers_as_stored_and_is_rebound_after_a_read_left_early()
    {
        var tenant = PluginInstance.NewTenant();
        const string location = "Łódź, półka 7 🏬";
        await _writer.WriteAsync(c => InsertSettingPrepared(c, tenant + "-a", location), CancellationToken.None);
        await _writer.WriteAsync(c => InsertSettingPrepared(c, tenant + "-b", null), CancellationToken.None);

        // The first read stops after one row; the second, with another value, must start over.
        var firstOnly = await _writer.WriteAsync(c => ReadSettingsPrepared(c, tenant, rows: 1), CancellationToken.None);
        var all = await _writer.WriteAsync(c => ReadSettingsPrepared(c, tenant + "-b", rows: int.MaxValue), CancellationToken.None);

        using var connection = new SqliteConnection($"Data Source={_plugin.DatabasePath}");
        connection.Open();
        var stored = connection.Query<(string Id, string? Location, long Revision)>(
            "SELECT instance_id, default_location_id, revision FROM tenant_settings WHERE instance_id LIKE @tenant || '%' ORDER BY instance_id",
            new { tenant }).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(stored, Is.EqualTo(new[] { (tenant + "-a", (string?)location, 7L), (tenant + "-b", (string?)null, 7L) }));
            Assert.That(firstOnly, Is.EqualTo(new[] { (tenant + "-a", (string?)location) }));
            Assert.That(all, Is.EqualTo(new[] { (tenant + "-b", (string?)null) }));
        });
    }

    [Test]
    public async Task A_prepared_statement_refuses_values_in_another_order_than_it_was_prepared_with()
    {
        var tenant = PluginInstance.NewTenant();
        const string sql = "SELECT COUNT(*) FROM tenant_settings WHERE instance_id = @instanceId AND revision = @revision";
        await _writer.WriteAsync(c => c.Prepared(sql, ("@instanceId", tenant), ("@revision", 1L)).Execute(), CancellationToken.None);

        var swapped = _writer.WriteAsync(c => c.Prepared(sql, ("@revision", 1L), ("@instanceId", tenant)).Execute(), CancellationToken.None);

        Assert.That(async () => await swapped, Throws.ArgumentException.With.Message.Contains("@revision"));
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

    /// <summary>
    /// Queues three writes behind one that holds the writer, so that the writer takes them as one batch;
    /// returns their tasks once the holder is done.
    /// </summary>
    private async Task<(Task<int>, Task<int>, Task<int>)> AsOneBatchAsync(
        Func<WriteContext, int> first, Func<WriteContext, int> second, Func<WriteContext, int> third)
    {
        using var gate = new ManualResetEventSlim();
        var holder = _writer.WriteAsync(_ => gate.Wait(TimeSpan.FromSeconds(10)), CancellationToken.None);
        await Task.Delay(50);
        var writes = (_writer.WriteAsync(first, CancellationToken.None), _writer.WriteAsync(second, CancellationToken.None), _writer.WriteAsync(third, CancellationToken.None));
        gate.Set();
        Assert.That(await holder, Is.True, "the holder was released, not timed out");
        return writes;
    }

    private static int InsertSetting(WriteContext context, string instanceId) =>
        context.Connection.Execute(
            "INSERT INTO tenant_settings (instance_id, revision, updated_at) VALUES (@instanceId, 1, 0)",
            new { instanceId },
            context.Transaction);

    private static int InsertSettingPrepared(WriteContext context, string instanceId, string? defaultLocationId)
    {
        context.Prepared(
            "INSERT INTO tenant_settings (instance_id, default_location_id, revision, updated_at) VALUES (@instanceId, @location, @revision, @now)",
            ("@instanceId", instanceId), ("@location", defaultLocationId), ("@revision", 7L), ("@now", context.NowMs)).Execute();
        return 1;
    }

    private static List<(string Id, string? Location)> ReadSettingsPrepared(WriteContext context, string prefix, int rows)
    {
        var read = new List<(string, string?)>();
        using var statement = context.Prepared(
            "SELECT instance_id, default_location_id FROM tenant_settings WHERE instance_id LIKE @prefix || '%' ORDER BY instance_id",
            ("@prefix", prefix));
        while (read.Count < rows && statement.Read())
        {
            read.Add((statement.GetString(0), statement.GetNullableString(1)));
        }

        return read;
    }

    private List<string> Settings(string prefix)
    {
        using var connection = new SqliteConnection($"Data Source={_plugin.DatabasePath}");
        connection.Open();
        return connection.Query<string>(
            "SELECT instance_id FROM tenant_settings WHERE instance_id LIKE @prefix || '%' ORDER BY instance_id", new { prefix }).ToList();
    }
}
