using System.Data.Common;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Dapper;
using InventoryPlugin.Storage.Postgres;
using InventoryPlugin.Storage.Sqlite;
using InventoryPlugin.Tests.Events;
using InventoryPlugin.Tests.Merchant;
using InventoryPlugin.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace InventoryPlugin.Tests.Storage;

/// <summary>
/// A database written by an earlier schema is upgraded in place at start-up and keeps its meaning:
/// from version 3 (before stock events) every record starts at the level it is at and the next crossing
/// raises its event; from version 4 a request's entries are still found by its id; from version 5 a
/// record's entries are still found by its id once the ledger is keyed by record numbers. The ledger
/// verifies after each.
/// </summary>
[NonParallelizable]
[TestFixtureSource(typeof(Stores), nameof(Stores.Both))]
public sealed class SchemaUpgradeTests(StoreKind store)
{
    private const int PreviousVersion = 3;
    private const string Tenant = "0b8e7a51-2d6c-4f3e-8a9b-1c2d3e4f5a6b";

    private string _directory = null!;
    private Dictionary<string, string?> _storage = null!;
    private readonly byte[] _merchantKey = RandomNumberGenerator.GetBytes(32);

    [SetUp]
    public async Task SetUp()
    {
        _directory = Directory.CreateTempSubdirectory("schema-upgrade-").FullName;
        _storage = await Stores.SettingsAsync(store, _directory);
    }

    [TearDown]
    public void TearDown()
    {
        SqliteConnection.ClearAllPools();
        NpgsqlConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Test]
    public async Task A_version_3_database_is_upgraded_and_its_records_start_at_their_levels()
    {
        await UpgradeFromAsync(PreviousVersion);
        using (var connection = Stores.Open(_storage))
        {
            var levels = connection.Query<(string, string)>("SELECT catalog_item_id, stock_level FROM stock_records ORDER BY catalog_item_id").ToList();
            Assert.That(levels, Is.EqualTo(new[] { ("flag-off", "OUT"), ("held", "OUT"), ("plenty", "OK"), ("sold-out", "OUT") }));
        }

        await RunServiceThenVerifyLedgerAsync(async (service, tokens, client) =>
        {
            // The sold-out record comes back and the plentiful one sells out: one event each, nothing for the others.
            var restock = await service.SendPlatformAsync("v1/increment", tokens.Sign(Envelopes.Increment(Tenant, [Envelopes.Item("sold-out", 1)])));
            var sell = await service.SendPlatformAsync("v1/decrement", tokens.Sign(Envelopes.Decrement(Tenant, [Envelopes.Item("plenty", 5)])));
            var (events, _) = await client.EventsAsync();
            Assert.Multiple(() =>
            {
                Assert.That((restock.Status, sell.Status), Is.EqualTo((200, 200)));
                Assert.That(events.Select(e => (e["catalogReference"]!["catalogItemId"]!.GetValue<string>(), e.Type())),
                    Is.EqualTo(new[] { ("sold-out", "BACK_IN_STOCK"), ("plenty", "OUT_OF_STOCK") }));
            });
        });
    }

    [Test]
    public async Task A_version_4_database_keeps_finding_its_platform_requests_in_the_ledger()
    {
        const string requestId = "2f0c9a7e-5b1d-4c3e-9f8a-7b6c5d4e3f21";
        await UpgradeFromAsync(4, connection =>
        {
            // A platform decrement as version 4 stored it: its ledger entry, an unrelated one after it, and its answer.
            var plenty = "00000000-0000-7000-8000-000000000001";
            connection.Execute("UPDATE stock_records SET quantity = 1 WHERE id = @plenty", new { plenty });
            connection.Execute(
                """
                INSERT INTO ledger (instance_id, record_id, delta, quantity_after, operation, order_id, request_id, actor_type, restrict_flag, created_at)
                VALUES (@tenant, @plenty, -3, 2, 'DECREMENT', 'order-4', @requestId, 'ANONYMOUS_VISITOR', @yes, 3),
                       (@tenant, @plenty, -1, 1, 'ADJUST', NULL, NULL, 'MERCHANT', NULL, 4)
                """,
                new { tenant = Tenant, plenty, requestId, yes = true });
            connection.Execute(
                "INSERT INTO idempotency (instance_id, request_id, request_digest, status_code, body, created_at) VALUES (@tenant, @requestId, @digest, 200, '{}', 3)",
                new { tenant = Tenant, requestId, digest = SHA256.HashData("{}"u8) });
        });

        await RunServiceThenVerifyLedgerAsync(async (_, _, client) =>
        {
            var found = await client.LedgerAsync($"requestId={requestId}");
            Assert.That(found.Select(e => (e["operation"]!.GetValue<string>(), e["delta"]!.GetValue<long>(), e["orderId"]!.GetValue<string>())),
                Is.EqualTo(new[] { ("DECREMENT", -3L, "order-4") }));
        });
    }

    [Test]
    public async Task A_version_5_database_keeps_finding_every_records_ledger_deleted_records_included()
    {
        const string deleted = "00000000-0000-7000-8000-000000000009";
        await UpgradeFromAsync(5, connection =>
            // A record deleted under version 5: its entries stay in the ledger, and stay findable by its id.
            connection.Execute(
                """
                INSERT INTO ledger (instance_id, record_id, delta, quantity_after, operation, order_id, actor_type, created_at)
                VALUES (@tenant, @deleted, 7, 7, 'SET', NULL, 'MERCHANT', 3),
                       (@tenant, @deleted, -2, 5, 'DECREMENT', 'order-5', 'ANONYMOUS_VISITOR', 4)
                """,
                new { tenant = Tenant, deleted }));

        await RunServiceThenVerifyLedgerAsync(async (service, tokens, client) =>
        {
            var sell = await service.SendPlatformAsync("v1/decrement", tokens.Sign(Envelopes.Decrement(Tenant, [Envelopes.Item("plenty", 2)])));
            var plenty = await client.LedgerAsync("itemId=00000000-0000-7000-8000-000000000001");
            var gone = await client.LedgerAsync($"itemId={deleted}");
            Assert.Multiple(() =>
            {
                Assert.That(sell.Status, Is.EqualTo(200));
                Assert.That(plenty.Select(e => (e["operation"]!.GetValue<string>(), e["delta"]!.GetValue<long>())),
                    Is.EqualTo(new[] { ("SET", 5L), ("DECREMENT", -2L) }), "the record's entry from before the upgrade, then the new one");
                Assert.That(gone.Select(e => (e["operation"]!.GetValue<string>(), e["delta"]!.GetValue<long>())),
                    Is.EqualTo(new[] { ("SET", 7L), ("DECREMENT", -2L) }));
            });
        });
    }

    /// <summary>
    /// Writes the database as schema <paramref name="version"/> left it (the common records, then
    /// <paramref name="writeMore"/>), and upgrades it to the latest version with the real migrator.
    /// </summary>
    private async Task UpgradeFromAsync(int version, Action<DbConnection>? writeMore = null)
    {
        using var connection = Stores.Open(_storage);
        await MigrateToAsync(connection, version);
        WritePreviousVersionData(connection);
        writeMore?.Invoke(connection);
        await MigrateToAsync(connection, int.MaxValue);
    }

    /// <summary>Starts the service on the upgraded database, runs <paramref name="exercise"/> against it, stops it, and verifies the ledger.</summary>
    private async Task RunServiceThenVerifyLedgerAsync(Func<ServiceProcess, PlatformTokens, HttpClient, Task> exercise)
    {
        var (environment, tokens) = ServiceEnvironment();
        await using (var service = await ServiceProcess.StartAsync(_directory, environment))
        {
            using var client = MerchantClient(service);
            await exercise(service, tokens, client);
        }

        var (exitCode, output) = await ServiceProcess.RunCommandAsync(_directory, environment, "verify-ledger");
        Assert.That(exitCode, Is.Zero, output);
    }

    private (Dictionary<string, string> Environment, PlatformTokens Tokens) ServiceEnvironment()
    {
        var platformKey = RSA.Create(2048);
        var environment = ServiceProcess.Environment(_directory, platformKey, _merchantKey);
        foreach (var (name, value) in Stores.AsEnvironment(_storage))
        {
            environment[name] = value;
        }

        return (environment, new PlatformTokens(platformKey, PluginInstance.AppId));
    }

    private HttpClient MerchantClient(ServiceProcess service)
    {
        var client = new HttpClient { BaseAddress = new Uri(service.Address, "api/v1/") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Bearer", new MerchantTokens(_merchantKey, PluginInstance.MerchantIssuer, PluginInstance.MerchantAudience).Mint(Tenant, "inventory:read"));
        return client;
    }

    /// <summary>
    /// Runs the real migrator, stopping after <paramref name="version"/>: later versions are marked as
    /// applied beforehand (so it skips them), and unmarked afterwards (so the next run applies them).
    /// </summary>
    private async Task MigrateToAsync(DbConnection connection, int version)
    {
        var known = (store == StoreKind.Postgres ? PostgresMigrator.Scripts : SqliteMigrator.Scripts).Known;
        connection.Execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
        var later = known.Where(m => m.Version > version).Select(m => m.Version).ToList();
        foreach (var skipped in later)
        {
            connection.Execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (@skipped, 'not yet', 0)", new { skipped });
        }

        if (connection is NpgsqlConnection postgres)
        {
            await PostgresMigrator.MigrateAsync(postgres, CancellationToken.None);
        }
        else
        {
            SqliteMigrator.Migrate((SqliteConnection)connection);
        }

        connection.Execute("DELETE FROM schema_migrations WHERE name = 'not yet'");
    }

    /// <summary>Records as version 3 wrote them, with the ledger entries that account for them (a hold included).</summary>
    private static void WritePreviousVersionData(DbConnection connection)
    {
        var records = new[]
        {
            (Id: "00000000-0000-7000-8000-000000000001", Item: "plenty", Track: true, Quantity: 5L, InStock: false),
            (Id: "00000000-0000-7000-8000-000000000002", Item: "sold-out", Track: true, Quantity: 0L, InStock: false),
            (Id: "00000000-0000-7000-8000-000000000003", Item: "flag-off", Track: false, Quantity: 0L, InStock: false),
            (Id: "00000000-0000-7000-8000-000000000004", Item: "held", Track: true, Quantity: 2L, InStock: false),
        };
        foreach (var record in records)
        {
            connection.Execute(
                """
                INSERT INTO stock_records (id, instance_id, app_id, catalog_item_id, variant_key, location_id, track_quantity, quantity, in_stock,
                                           preorder_enabled, auto_created, revision, created_at, updated_at)
                VALUES (@Id, @tenant, @appId, @Item, '', '00000000-0000-0000-0000-000000000000', @Track, @Quantity, @InStock, @no, @no, 1, 1, 1)
                """,
                new { record.Id, tenant = Tenant, appId = Envelopes.StoresAppId, record.Item, record.Track, record.Quantity, record.InStock, no = false });
            connection.Execute(
                """
                INSERT INTO ledger (instance_id, record_id, delta, quantity_after, operation, reason, actor_type, created_at)
                VALUES (@tenant, @Id, @Quantity, @Quantity, 'SET', 'CREATED', 'MERCHANT', 1)
                """,
                new { tenant = Tenant, record.Id, record.Quantity });
        }

        var allocation = "00000000-0000-7000-8000-0000000000a1";
        var farFuture = DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeMilliseconds();
        connection.Execute(
            "INSERT INTO allocations (id, instance_id, status, expires_at, created_at) VALUES (@allocation, @tenant, 'OPEN', @farFuture, 1)",
            new { allocation, tenant = Tenant, farFuture });
        connection.Execute(
            "INSERT INTO allocation_items (allocation_id, record_id, quantity, catalog_reference) VALUES (@allocation, @id, 2, '{}')",
            new { allocation, id = records[3].Id });
        connection.Execute(
            """
            INSERT INTO ledger (instance_id, record_id, delta, quantity_after, operation, actor_type, created_at, allocated_delta, allocation_id)
            VALUES (@tenant, @id, 0, 2, 'ALLOCATE', 'MERCHANT', 2, 2, @allocation)
            """,
            new { tenant = Tenant, id = records[3].Id, allocation });
    }
}
