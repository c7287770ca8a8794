using InventoryPlugin.Platform;
using InventoryPlugin.Stock;
using InventoryPlugin.Storage;
using InventoryPlugin.Storage.Postgres;
using InventoryPlugin.Storage.Sqlite;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace InventoryPlugin.Bench;

/// <summary>
/// The in-process ceiling: the service's own store (StoreWriter + StockChangeStore, same settings,
/// synchronous=FULL, fresh database) fed the very StockChanges the service would parse from the same
/// pre-signed requests, from N concurrent callers: no HTTP, no JWT, no envelope parsing in the loop.
/// </summary>
public static class Ceiling
{
    private static readonly Actor Seeder = new("MERCHANT", "bench");

    /// <summary>
    /// Requests as the verification filter hands them on (parsed once, reused by every ceiling run):
    /// the same shapes as the signed pool of <paramref name="kind"/>.
    /// </summary>
    public static StockChange[] Prepare(PoolKind kind, int count, string instanceId)
    {
        var payloads = RequestPool.Payloads(kind, count, instanceId);
        var changes = new StockChange[count];
        Parallel.For(0, count, i =>
        {
            var parsed = EnvelopeParser.Parse(payloads[i], RequestPool.OperationOf(kind, i));
            changes[i] = parsed.Change ?? throw new InvalidOperationException(
                $"Request {i} of the {kind} pool is invalid: {string.Join("; ", parsed.Violations.Select(v => $"{v.Field} {v.Description}"))}");
        });
        return changes;
    }

    public static async Task<Measurement> RunAsync(
        Scenario scenario, StockChange[] changes, string instanceId, int callers, TimeSpan warmup, TimeSpan duration)
    {
        var directory = Path.Combine(Path.GetTempPath(), "inventory-plugin-bench", "ceiling-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var options = Options.Create(new StorageOptions
        {
            ConnectionString = $"Data Source={Path.Combine(directory, "inventory.db")}",
            MaxBatchSize = scenario.MaxBatchSize,
        });
        try
        {
            var connections = new SqliteConnectionFactory(options, new BenchEnvironment(directory));
            using var writer = new StoreWriter(connections, options, TimeProvider.System, NullLogger<StoreWriter>.Instance);
            await writer.StartAsync(CancellationToken.None).ConfigureAwait(false);
            var store = new SqliteStockStore(writer);
            await SeedAsync(store, scenario, instanceId).ConfigureAwait(false);

            var measurement = await LoadDriver.DriveAsync(
                changes.Length,
                callers,
                warmup,
                duration,
                async (_, i) => await store.ApplyAsync(changes[i], PlatformResponses.Render, CancellationToken.None).ConfigureAwait(false) switch
                {
                    ChangeOutcome.Applied => 200,
                    ChangeOutcome.Refused => 428,
                    _ => 0,
                },
                ProcessesUnderTest.None).ConfigureAwait(false);
            await writer.StopAsync(CancellationToken.None).ConfigureAwait(false);
            return measurement;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // Left for the OS to clean up with the rest of the temp folder.
            }
        }
    }

    /// <summary>
    /// The PostgreSQL ceiling: the service's own PostgresStockStore (its pool, its statements) on a fresh
    /// database of <paramref name="server"/>, in this process, from N concurrent callers: no HTTP, no JWT.
    /// The server's CPU is measured beside this process's.
    /// </summary>
    public static async Task<Measurement> RunPostgresAsync(
        BenchPostgres server, StockChange[] changes, string instanceId, int callers, TimeSpan warmup, TimeSpan duration, Scenario scenario)
    {
        var (name, connectionString) = await server.CreateDatabaseAsync().ConfigureAwait(false);
        try
        {
            var options = Options.Create(new StorageOptions { Provider = nameof(StorageProvider.Postgres), ConnectionString = connectionString });
            await using (var database = new PostgresDatabase(options))
            {
                await database.RunAsync(
                    async connection =>
                    {
                        await PostgresMigrator.MigrateAsync(connection, CancellationToken.None).ConfigureAwait(false);
                        return 0;
                    },
                    CancellationToken.None).ConfigureAwait(false);
                var store = new PostgresStockStore(database, TimeProvider.System);
                await SeedAsync(store, scenario, instanceId).ConfigureAwait(false);
                return await LoadDriver.DriveAsync(
                    changes.Length,
                    callers,
                    warmup,
                    duration,
                    async (_, i) => await store.ApplyAsync(changes[i], PlatformResponses.Render, CancellationToken.None).ConfigureAwait(false) switch
                    {
                        ChangeOutcome.Applied => 200,
                        ChangeOutcome.Refused => 428,
                        _ => 0,
                    },
                    new ProcessesUnderTest([], server.PostmasterPid, server.WalCountersAsync)).ConfigureAwait(false);
            }
        }
        finally
        {
            await server.DropDatabaseAsync(name).ConfigureAwait(false);
        }
    }

    internal static async Task SeedAsync(IStockStore store, Scenario scenario, string instanceId)
    {
        foreach (var chunk in scenario.Seed().Chunk(1000))
        {
            await store.UpsertAsync(
                chunk.Select(r => new NewStockRecord(
                    new StockKey(instanceId, BenchIdentity.StoresAppId, r.CatalogItemId, VariantKeys.Product, TenantSettings.FixedDefaultLocationId),
                    TrackQuantity: true,
                    r.Quantity,
                    InStock: false)).ToList(),
                Seeder,
                CancellationToken.None).ConfigureAwait(false);
        }
    }

    internal sealed class BenchEnvironment(string contentRoot) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Production";

        public string ApplicationName { get; set; } = "InventoryPlugin.Bench";

        public string ContentRootPath { get; set; } = contentRoot;

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
