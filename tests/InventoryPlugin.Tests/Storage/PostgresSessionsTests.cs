using InventoryPlugin.Storage;
using InventoryPlugin.Storage.Postgres;
using InventoryPlugin.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

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

    private static PostgresDatabase Database(string connectionString) =>
        new(Options.Create(new StorageOptions { Provider = "Postgres", ConnectionString = connectionString }));
}
