using System.Buffers.Binary;
using Dapper;
using InventoryPlugin.Storage;
using InventoryPlugin.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace InventoryPlugin.Tests.Storage;

/// <summary>
/// Under steady writes the WAL still starts over from its beginning, through the checkpointer's
/// catch-up and the writer's short copy between batches, and no write is lost across it.
/// </summary>
/// <remarks>
/// That this keeps a long checkpoint out of the commits is a latency claim, shown by the bench
/// (README, levers), not here: a test machine's pauses also let the WAL start over by chance.
/// </remarks>
public sealed class WalRestartTests
{
    private string _directory = null!;

    [SetUp]
    public void CreateDirectory()
    {
        _directory = Path.Combine(Path.GetTempPath(), "inventory-plugin-tests", "wal-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
    }

    [TearDown]
    public void DeleteDirectory()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Test]
    public async Task Under_steady_concurrent_writes_the_wal_starts_over_through_the_catch_up_and_no_write_is_lost()
    {
        var databasePath = Path.Combine(_directory, "inventory.db");
        var options = Options.Create(new StorageOptions { ConnectionString = $"Data Source={databasePath}", MaxBatchSize = 8 });
        var connections = new SqliteConnectionFactory(options, new HostingEnvironment { ContentRootPath = _directory });
        using var writer = new StoreWriter(connections, options, TimeProvider.System, NullLogger<StoreWriter>.Instance)
        {
            WalRestartFrames = 64,
            // Never reached here: the writer never checkpoints inside a commit.
            WriterCheckpointFrames = 1_000_000,
        };
        await writer.StartAsync(CancellationToken.None);
        var firstSequence = WalCheckpointSequence(databasePath);

        // Far more writers than a batch takes: the queue stays full and commits follow each other, as under load.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var written = 0;
        var restarts = 0;
        var loops = Enumerable.Range(0, 64).Select(loop => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var instanceId = $"wal-{loop}-{i}";
                // 50 rows under random keys: each commit changes pages all over the table, as orders do.
                await writer.WriteAsync(
                    c => c.Connection.Execute(
                        """
                        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
                        INSERT INTO tenant_settings (instance_id, revision, updated_at)
                        SELECT 'wal-' || hex(randomblob(8)) || @instanceId || '-' || i, 1, 0 FROM n
                        """,
                        new { instanceId },
                        c.Transaction),
                    CancellationToken.None);
                Interlocked.Add(ref written, 50);
            }
        })).ToList();
        while (!stop.IsCancellationRequested)
        {
            restarts = (int)(WalCheckpointSequence(databasePath) - firstSequence);
            if (restarts >= 3)
            {
                await stop.CancelAsync();
                break;
            }

            await Task.Delay(20);
        }

        await Task.WhenAll(loops);
        await writer.StopAsync(CancellationToken.None);

        using var connection = new SqliteConnection($"Data Source={databasePath}");
        connection.Open();
        Assert.Multiple(() =>
        {
            Assert.That(restarts, Is.GreaterThanOrEqualTo(3), "times the WAL started over within 20 s");
            Assert.That(connection.ExecuteScalar<long>("SELECT COUNT(*) FROM tenant_settings WHERE instance_id LIKE 'wal-%'"), Is.EqualTo(written));
            Assert.That(connection.ExecuteScalar<string>("PRAGMA integrity_check"), Is.EqualTo("ok"));
        });
    }

    /// <summary>The WAL header's checkpoint sequence number: SQLite adds one each time the WAL starts over.</summary>
    private static uint WalCheckpointSequence(string databasePath)
    {
        using var wal = new FileStream(databasePath + "-wal", FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Span<byte> header = stackalloc byte[16];
        wal.ReadExactly(header);
        return BinaryPrimitives.ReadUInt32BigEndian(header[12..]);
    }
}
