using System.Diagnostics;
using System.Text;
using InventoryPlugin.Platform;
using InventoryPlugin.Stock;
using InventoryPlugin.Storage;
using InventoryPlugin.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace InventoryPlugin.Bench;

/// <summary>
/// Bytes allocated and CPU spent per request by each piece of the platform path, measured one request
/// at a time on this thread: token verification, envelope parsing, and the SQLite store's transaction
/// (one caller, so a commit per request). HTTP (Kestrel, the response) is not in it.
/// </summary>
public static class Allocations
{
    public sealed record Piece(string Name, double BytesPerRequest, double MicrosecondsPerRequest);

    public static async Task<IReadOnlyList<Piece>> MeasureAsync(Scenario scenario, BenchIdentity identity, int count)
    {
        var pool = RequestPool.Sign(scenario.Pool, count * 2, identity);
        var verifier = new PlatformTokenVerifier(
            Options.Create(new WixOptions { AppId = BenchIdentity.AppId, PublicKey = identity.PublicKeyForEnvironment, Issuer = BenchIdentity.PlatformIssuer }),
            TimeProvider.System);
        var tokens = pool.Requests.Select(r => Encoding.ASCII.GetString(r.Token)).ToArray();
        var payloads = new byte[tokens.Length][];
        var changes = new StockChange[tokens.Length];

        // The first half warms the JIT up; the second half is measured.
        var verify = await TimeAsync(count, async i => payloads[i] = (await verifier.VerifyAsync(tokens[i]).ConfigureAwait(false)).Payload!).ConfigureAwait(false);
        var parse = await TimeAsync(count, i =>
        {
            changes[i] = EnvelopeParser.Parse(payloads[i], pool.Requests[i].Operation).Change!;
            return Task.CompletedTask;
        }).ConfigureAwait(false);

        var directory = Path.Combine(Path.GetTempPath(), "inventory-plugin-bench", "allocations-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var options = Options.Create(new StorageOptions { ConnectionString = $"Data Source={Path.Combine(directory, "inventory.db")}", MaxBatchSize = scenario.MaxBatchSize });
            var connections = new SqliteConnectionFactory(options, new Ceiling.BenchEnvironment(directory));
            using var writer = new StoreWriter(connections, options, TimeProvider.System, NullLogger<StoreWriter>.Instance);
            await writer.StartAsync(CancellationToken.None).ConfigureAwait(false);
            var store = new SqliteStockStore(writer);
            await Ceiling.SeedAsync(store, scenario, identity.InstanceId).ConfigureAwait(false);
            var apply = await TimeAsync(count, i => store.ApplyAsync(changes[i], PlatformResponses.Render, CancellationToken.None)).ConfigureAwait(false);
            await writer.StopAsync(CancellationToken.None).ConfigureAwait(false);
            return [new("token verification", verify.Bytes, verify.Micros), new("envelope parse", parse.Bytes, parse.Micros), new("store transaction (SQLite, one caller)", apply.Bytes, apply.Micros)];
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

    /// <summary>Runs indexes 0..count-1 unmeasured, then count..2count-1 measured: allocated bytes (every thread) and wall µs per call.</summary>
    private static async Task<(double Bytes, double Micros)> TimeAsync(int count, Func<int, Task> action)
    {
        for (var i = 0; i < count; i++)
        {
            await action(i).ConfigureAwait(false);
        }

        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var started = Stopwatch.GetTimestamp();
        for (var i = count; i < 2 * count; i++)
        {
            await action(i).ConfigureAwait(false);
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        return ((GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / (double)count, elapsed.TotalMicroseconds / count);
    }
}
