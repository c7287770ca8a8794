using Dapper;
using InventoryPlugin.Storage.Postgres;
using InventoryPlugin.Tests.Infrastructure;
using Npgsql;
using NpgsqlTypes;

namespace InventoryPlugin.Tests.Storage;

/// <summary>
/// The platform path sends its writes and its COMMIT in one batch, so the guarded update checks itself:
/// a record that is not as judged (a revision that moved, a floor it would cross) fails the statement,
/// and the COMMIT after it commits nothing.
/// </summary>
public sealed class PostgresGuardTests
{
    private string _connectionString = null!;

    [OneTimeSetUp]
    public async Task CreateDatabaseAsync()
    {
        _connectionString = await PostgresServer.CreateDatabaseAsync();
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await PostgresMigrator.MigrateAsync(connection, CancellationToken.None);
        await connection.ExecuteAsync(
            """
            INSERT INTO stock_records (id, instance_id, app_id, catalog_item_id, variant_key, location_id,
                                       track_quantity, quantity, in_stock, revision, created_at, updated_at)
            VALUES ('shirt', 'tenant', 'app', 'shirt', '', 'location', true, 10, true, 4, 0, 0),
                   ('mug', 'tenant', 'app', 'mug', '', 'location', true, 10, true, 4, 0, 0)
            """);
    }

    [TestCase(4L, 0L, 2, TestName = "a judged change applies")]
    [TestCase(3L, 0L, 0, TestName = "a revision that moved fails it")]
    [TestCase(4L, 8L, 0, TestName = "a floor it would cross fails it")]
    public async Task A_change_applies_whole_or_not_at_all(long shirtRevision, long floor, int expectedLedgerEntries)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        var ledgerBefore = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM ledger");
        var quantitiesBefore = await QuantitiesAsync(connection);

        await using var transaction = await connection.BeginTransactionAsync();
        await using var batch = new NpgsqlBatch(connection, transaction);
        var update = new NpgsqlBatchCommand(PostgresStockStore.UpdateSql);
        foreach (var value in new object?[] { "tenant", "DECREMENT", null, "order", Guid.NewGuid().ToString(), "APP", "app", true, 0L })
        {
            update.Parameters.Add(value is null ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text } : new NpgsqlParameter { Value = value });
        }

        // The mug's part of the change is always as judged: a failing shirt must take it back too.
        update.Parameters.Add(new NpgsqlParameter { Value = new[] { "mug", "shirt" }, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        update.Parameters.Add(new NpgsqlParameter { Value = new[] { 4L, shirtRevision }, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        update.Parameters.Add(new NpgsqlParameter { Value = new[] { -1L, -3L }, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        update.Parameters.Add(new NpgsqlParameter { Value = new[] { 0L, floor }, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        update.Parameters.Add(new NpgsqlParameter { Value = new[] { 0, 1 }, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        batch.BatchCommands.Add(update);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));

        PostgresException? failure = null;
        try
        {
            await batch.ExecuteNonQueryAsync();
        }
        catch (PostgresException exception)
        {
            failure = exception;
        }

        await transaction.DisposeAsync();
        var ledgerAfter = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM ledger");
        var quantitiesAfter = await QuantitiesAsync(connection);
        await connection.ExecuteAsync("UPDATE stock_records SET quantity = 10, revision = 4");
        Assert.Multiple(() =>
        {
            if (expectedLedgerEntries == 0)
            {
                Assert.That(failure?.SqlState, Is.EqualTo(PostgresErrorCodes.InternalError), "the statement fails");
                Assert.That(failure?.MessageText, Does.Contain("rolled back"));
                Assert.That(quantitiesAfter, Is.EqualTo(quantitiesBefore), "neither record changed");
            }
            else
            {
                Assert.That(failure, Is.Null);
                Assert.That(quantitiesAfter, Is.EqualTo(new[] { 9L, 7L }), "mug, then shirt");
            }

            Assert.That(ledgerAfter - ledgerBefore, Is.EqualTo(expectedLedgerEntries == 0 ? 0 : 2));
        });
    }

    private static async Task<long[]> QuantitiesAsync(NpgsqlConnection connection) =>
        (await connection.QueryAsync<long>("SELECT quantity FROM stock_records ORDER BY id")).ToArray();
}
