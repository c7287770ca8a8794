using System.Security.Cryptography;
using Dapper;
using InventoryPlugin.Storage;
using InventoryPlugin.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;

namespace InventoryPlugin.Tests.Storage;

/// <summary>
/// The writer's connection gathers a commit's WAL frames into a few write calls, and what it
/// commits is what every other connection reads, during the run and after the file is reopened.
/// </summary>
/// <remarks>
/// That an acknowledged request survives a kill -9 through this VFS is <see cref="CrashConsistencyTests"/>'
/// claim: the service's writer runs on it.
/// </remarks>
public sealed class CoalescedWalVfsTests
{
    private string _directory = null!;
    private SqliteConnectionFactory _connections = null!;

    [SetUp]
    public void CreateDirectory()
    {
        _directory = Path.Combine(Path.GetTempPath(), "inventory-plugin-tests", "vfs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        var options = Options.Create(new StorageOptions { ConnectionString = $"Data Source={Path.Combine(_directory, "vfs.db")}" });
        _connections = new SqliteConnectionFactory(options, new HostingEnvironment { ContentRootPath = _directory });
    }

    [TearDown]
    public void DeleteDirectory()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Test]
    public void The_writer_writes_a_commits_frames_in_a_few_calls_where_sqlite_alone_makes_two_per_frame()
    {
        Assume.That(OperatingSystem.IsLinux(), "write calls are counted from /proc/thread-self/io");
        Assert.That(CoalescedWalVfs.EnsureRegistered(), Is.True);

        using (var writer = _connections.OpenWriter())
        {
            var (frames, writeCalls) = CommitRandomRows(writer, 4_000);
            TestContext.Out.WriteLine($"through the VFS: {frames} frames, {writeCalls} write calls");
            Assert.That(frames, Is.GreaterThan(300), "the commit must span many pages to show anything");
            Assert.That(writeCalls, Is.LessThan(frames / 10));
        }

        // The control: the same commit on SQLite's own VFS, so the count above is known to see write calls.
        using var plain = _connections.OpenCheckpointer();
        var (plainFrames, plainWriteCalls) = CommitRandomRows(plain, 4_000);
        TestContext.Out.WriteLine($"SQLite alone: {plainFrames} frames, {plainWriteCalls} write calls");
        Assert.That(plainWriteCalls, Is.GreaterThanOrEqualTo(2 * plainFrames));
    }

    [Test]
    public void Every_commit_reads_back_on_other_connections_and_after_reopening_also_with_spills_and_rollbacks()
    {
        Assert.That(CoalescedWalVfs.EnsureRegistered(), Is.True);
        var expected = new Dictionary<string, byte[]>();
        using (var writer = _connections.OpenWriter())
        using (var reader = _connections.OpenRead())
        {
            // A cache of 16 pages makes SQLite spill frames in the middle of a transaction and read them back.
            writer.Execute("PRAGMA cache_size = 16; CREATE TABLE rows (key TEXT PRIMARY KEY, body BLOB NOT NULL)");
            for (var round = 0; round < 40; round++)
            {
                var written = new Dictionary<string, byte[]>();
                using (var transaction = writer.BeginTransaction())
                {
                    for (var i = 0; i < 150; i++)
                    {
                        var key = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
                        written[key] = RandomNumberGenerator.GetBytes(300);
                        writer.Execute("INSERT INTO rows (key, body) VALUES (@key, @body)", new { key, body = written[key] }, transaction);
                    }

                    if (round % 4 == 3)
                    {
                        transaction.Rollback();
                        continue;
                    }

                    transaction.Commit();
                }

                foreach (var (key, body) in written)
                {
                    expected[key] = body;
                }

                AssertRows(ReadAll(reader), expected, $"another connection after commit {round}");
            }

            writer.Execute("PRAGMA wal_checkpoint(PASSIVE)");
            Assert.That(writer.ExecuteScalar<string>("PRAGMA integrity_check"), Is.EqualTo("ok"));
        }

        SqliteConnection.ClearAllPools();
        using var reopened = _connections.OpenRead();
        Assert.That(reopened.ExecuteScalar<string>("PRAGMA integrity_check"), Is.EqualTo("ok"));
        AssertRows(ReadAll(reopened), expected, "reopened");
    }

    private static void AssertRows(Dictionary<string, byte[]> actual, Dictionary<string, byte[]> expected, string where)
    {
        Assert.That(actual, Has.Count.EqualTo(expected.Count), where);
        var differing = expected.Where(row => !actual.TryGetValue(row.Key, out var body) || !body.AsSpan().SequenceEqual(row.Value)).Select(row => row.Key);
        Assert.That(differing, Is.Empty, where);
    }

    private static Dictionary<string, byte[]> ReadAll(SqliteConnection connection) =>
        connection.Query<(string Key, byte[] Body)>("SELECT key, body FROM rows").ToDictionary(row => row.Key, row => row.Body);

    /// <summary>One commit of rows under random keys; the WAL frames it wrote and this thread's write calls meanwhile.</summary>
    private static (long Frames, long WriteCalls) CommitRandomRows(SqliteConnection connection, int rows)
    {
        // A checkpoint inside the commit would add a write call per page, to the database file.
        connection.Execute("PRAGMA wal_autocheckpoint = 0; CREATE TABLE IF NOT EXISTS pages (id BLOB PRIMARY KEY, body BLOB NOT NULL)");
        var framesBefore = WalFrames(connection);
        var callsBefore = ThreadWriteCalls();
        using (var transaction = connection.BeginTransaction())
        {
            for (var i = 0; i < rows; i++)
            {
                connection.Execute(
                    "INSERT INTO pages (id, body) VALUES (@id, @body)",
                    new { id = RandomNumberGenerator.GetBytes(16), body = RandomNumberGenerator.GetBytes(400) },
                    transaction);
            }

            transaction.Commit();
        }

        var calls = ThreadWriteCalls() - callsBefore;
        return (WalFrames(connection) - framesBefore, calls);
    }

    // The frames in the WAL, from its size: with automatic checkpoints off it only grows while the connection is open.
    private static long WalFrames(SqliteConnection connection)
    {
        var path = connection.DataSource + "-wal";
        return File.Exists(path) ? Math.Max(0, (new FileInfo(path).Length - 32) / (4096 + 24)) : 0;
    }

    private static long ThreadWriteCalls()
    {
        foreach (var line in File.ReadLines("/proc/thread-self/io"))
        {
            if (line.StartsWith("syscw:", StringComparison.Ordinal))
            {
                return long.Parse(line["syscw:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("/proc/thread-self/io has no syscw line");
    }
}
