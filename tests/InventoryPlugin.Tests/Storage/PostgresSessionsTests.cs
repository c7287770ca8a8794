using Dapper;
using InventoryPlugin.Storage;
using InventoryPlugin.Storage.Postgres;
using InventoryPlugin.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace InventoryPlugin.Tests.Storage;

/// <summary>
/// The webhook dispatcher's lease is a session advisory lock, so it lives on a connection of its own,
/// outside the pool: it neither takes one of the requests' connections nor outlives its holder letting go.
/// </summary>
public sealed class PostgresSessionsTests
{
    [Test]
    public async Task The_lease_passes_to_another_replica_once_its_holder_lets_go()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync();
        await using var firstDatabase = Database(connectionString);
        await using var secondDatabase = Database(connectionString);
        var first = new PostgresSessions(firstDatabase, NullLogger<PostgresSessions>.Instance);
        await using var second = new PostgresSessions(secondDatabase, NullLogger<PostgresSessions>.Instance);

        Assert.That(await first.HoldsDispatchLeaseAsync(CancellationToken.None), Is.True, "the first replica takes the free lease");
        Assert.That(await second.HoldsDispatchLeaseAsync(CancellationToken.None), Is.False, "one holder at a time");

        await first.DisposeAsync();

        Assert.That(await second.HoldsDispatchLeaseAsync(CancellationToken.None), Is.True, "released when its holder lets go");
    }

    [Test]
    public async Task A_replica_waiting_for_the_lease_asks_again_on_the_session_it_has()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync();
        await using var holderDatabase = Database(connectionString);
        await using var waiterDatabase = Database(connectionString);
        await using var holder = new PostgresSessions(holderDatabase, NullLogger<PostgresSessions>.Instance);
        await using var waiter = new PostgresSessions(waiterDatabase, NullLogger<PostgresSessions>.Instance);
        await using var observer = new NpgsqlConnection(connectionString);
        await observer.OpenAsync();
        Assert.That(await holder.HoldsDispatchLeaseAsync(CancellationToken.None), Is.True);

        Assert.That(await waiter.HoldsDispatchLeaseAsync(CancellationToken.None), Is.False);
        var afterFirstTry = await SessionsAsync(observer);
        Assert.That(await waiter.HoldsDispatchLeaseAsync(CancellationToken.None), Is.False);
        var afterSecondTry = await SessionsAsync(observer);

        Assert.Multiple(() =>
        {
            Assert.That(afterFirstTry, Has.Count.EqualTo(2), "the holder's session and the waiter's, kept open between tries");
            Assert.That(afterSecondTry, Is.EqualTo(afterFirstTry), "no connection opened or closed for the second try");
        });
    }

    [Test]
    public async Task The_lease_leaves_every_pooled_connection_to_the_requests()
    {
        await using var database = Database(await PostgresServer.CreateDatabaseAsync() + ";Maximum Pool Size=1;Timeout=3");
        await using var sessions = new PostgresSessions(database, NullLogger<PostgresSessions>.Instance);
        Assert.That(await sessions.HoldsDispatchLeaseAsync(CancellationToken.None), Is.True);

        // With the lease on the pool's only connection this would wait for it and time out.
        var answer = await database.RunAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            return (int)(await command.ExecuteScalarAsync())!;
        }, CancellationToken.None);

        Assert.That(answer, Is.EqualTo(1));
    }

    /// <summary>The client sessions on this database other than the observer's (autovacuum's workers left out).</summary>
    private static async Task<List<int>> SessionsAsync(NpgsqlConnection observer) =>
        (await observer.QueryAsync<int>(
            """
            SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
            ORDER BY pid
            """)).ToList();

    private static PostgresDatabase Database(string connectionString) =>
        new(Options.Create(new StorageOptions { Provider = "Postgres", ConnectionString = connectionString }));
}
