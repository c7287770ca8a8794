using Dapper;
using InventoryPlugin.Storage.Postgres;
using InventoryPlugin.Tests.Infrastructure;
using Npgsql;

namespace InventoryPlugin.Tests.Storage;

/// <summary>
/// The platform transaction runs its lookups with the one generic plan it forces (so PostgreSQL does not
/// plan them afresh at every request), and that plan must find each demanded record through the unique
/// key's index: never a scan or a hash of the tenant's records, whose count has no bound. Checked on a
/// table that has no statistics yet, as on a new database, where the planner has the least to go on.
/// </summary>
public sealed class PostgresPlanTests
{
    private const int Records = 1000;
    private NpgsqlConnection _connection = null!;

    private static IEnumerable<TestCaseData> Statements()
    {
        yield return new TestCaseData(PostgresStockStore.LockSql, "", "").SetName("lock the demanded records");
        yield return new TestCaseData(PostgresStockStore.ReadLockedSql, ", bigint", ", 0").SetName("read the locked records");
        yield return new TestCaseData(PostgresStockStore.LockWithOthersSql, ", text[]", ", ARRAY['record-5']").SetName("lock the demanded records and the order's held ones");
    }

    [OneTimeSetUp]
    public async Task CreateDatabaseAsync()
    {
        _connection = new NpgsqlConnection(await PostgresServer.CreateDatabaseAsync());
        await _connection.OpenAsync();
        await PostgresMigrator.MigrateAsync(_connection, CancellationToken.None);
        // No statistics during the test: autovacuum would otherwise analyze the table once it fills.
        await _connection.ExecuteAsync("ALTER TABLE stock_records SET (autovacuum_enabled = false)");
        await _connection.ExecuteAsync(
            """
            INSERT INTO stock_records (id, instance_id, app_id, catalog_item_id, variant_key, location_id,
                                       track_quantity, quantity, in_stock, revision, created_at, updated_at)
            SELECT 'record-' || n, 'tenant', 'app', 'item-' || n, '', 'location', true, 10, true, 1, 0, 0
            FROM generate_series(1, @Records) AS n
            """,
            new { Records });
    }

    [OneTimeTearDown]
    public async Task CloseAsync() => await _connection.DisposeAsync();

    [TestCaseSource(nameof(Statements))]
    public async Task Its_generic_plan_finds_each_record_through_the_key_index(string sql, string moreParameterTypes, string moreArguments)
    {
        await _connection.ExecuteAsync("DEALLOCATE ALL");
        await using var transaction = await _connection.BeginTransactionAsync();
        await _connection.ExecuteAsync(PostgresStockStore.GenericPlansSql, transaction: transaction);
        await _connection.ExecuteAsync($"PREPARE demanded (text, text[], text[], text[], text[]{moreParameterTypes}) AS {sql}", transaction: transaction);
        var arguments = "'tenant', ARRAY['app', 'app'], ARRAY['item-7', 'item-3'], ARRAY['', ''], ARRAY['location', 'location']" + moreArguments;
        var plan = string.Join('\n', await _connection.QueryAsync<string>($"EXPLAIN EXECUTE demanded({arguments})", transaction: transaction));
        var analysed = await _connection.ExecuteScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_stats WHERE tablename = 'stock_records')", transaction: transaction);

        Assert.Multiple(() =>
        {
            Assert.That(analysed, Is.False, "the table has no statistics yet");
            Assert.That(plan, Does.StartWith("Nested Loop"), "the demands joined to their records one by one: " + plan);
            Assert.That(plan, Does.Match(@"Index Cond: \(\(instance_id = \$1\) AND .*catalog_item_id = k\.catalog_item_id"), plan);
            Assert.That(plan, Does.Not.Contain("Seq Scan on stock_records"), plan);
        });
    }

    [Test]
    public async Task Its_update_finds_each_record_through_the_primary_key()
    {
        await _connection.ExecuteAsync("DEALLOCATE ALL");
        await using var transaction = await _connection.BeginTransactionAsync();
        await _connection.ExecuteAsync(PostgresStockStore.GenericPlansSql, transaction: transaction);
        await _connection.ExecuteAsync(
            $"PREPARE changed (text, text, text, text, text, text, text, boolean, bigint, text[], bigint[], bigint[], bigint[], int[]) AS {PostgresStockStore.UpdateSql}",
            transaction: transaction);
        var plan = string.Join('\n', await _connection.QueryAsync<string>(
            "EXPLAIN EXECUTE changed('tenant', 'DECREMENT', NULL, 'order', 'request', 'APP', 'app', true, 0, ARRAY['record-7'], ARRAY[1], ARRAY[-1], ARRAY[0], ARRAY[0])",
            transaction: transaction));

        Assert.Multiple(() =>
        {
            Assert.That(plan, Does.Contain("Index Scan using stock_records_pkey on stock_records"), plan);
            Assert.That(plan, Does.Contain("Tid Scan on stock_records s"), "the row version the lookup found is the one updated: " + plan);
            Assert.That(plan, Does.Not.Contain("Seq Scan on stock_records"), plan);
            Assert.That(plan, Does.Not.Contain("Hash"), plan);
        });
    }
}
