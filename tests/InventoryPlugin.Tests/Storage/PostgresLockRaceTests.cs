using Dapper;
using InventoryPlugin.Platform;
using InventoryPlugin.Stock;
using InventoryPlugin.Storage;
using InventoryPlugin.Storage.Postgres;
using InventoryPlugin.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Npgsql;

namespace InventoryPlugin.Tests.Storage;

/// <summary>
/// Interleavings between replicas that only PostgreSQL has, staged step by step: a transaction of the
/// test holds a record's lock until the store's transaction is seen waiting for it, then lets go.
/// </summary>
public sealed class PostgresLockRaceTests
{
    private const string Tenant = "tenant";
    private const string Location = "location";
    private static readonly Actor Merchant = new("MERCHANT", "test");

    private string _connectionString = null!;
    private PostgresDatabase _database = null!;
    private PostgresStockStore _store = null!;
    private readonly SettableClock _clock = new();

    [SetUp]
    public async Task CreateStoreAsync()
    {
        _connectionString = await PostgresServer.CreateDatabaseAsync();
        _database = new PostgresDatabase(Options.Create(new StorageOptions { Provider = "Postgres", ConnectionString = _connectionString }));
        await using (var connection = await _database.DataSource.OpenConnectionAsync())
        {
            await PostgresMigrator.MigrateAsync(connection, CancellationToken.None);
        }

        _store = new PostgresStockStore(_database, _clock);
    }

    [TearDown]
    public async Task CloseAsync() => await _database.DisposeAsync();

    [Test]
    public async Task A_record_created_while_a_decrement_waits_for_its_other_record_is_locked_before_it_is_judged()
    {
        // "item-a" sorts before "item-b": the decrement would lock it first, had it existed.
        var waitedFor = await CreateAsync("item-b", 10);
        await using var holder = await LockAsync(waitedFor);
        var decrement = DecrementAsync(_store, "request", "order", "item-a", "item-b");
        await WaitUntilBlockedByAsync(holder);

        // Created once the decrement's lock statement has passed it by, and then changed by a third
        // transaction that still holds its lock when the decrement goes on.
        var created = await CreateAsync("item-a", 10);
        await using var changer = await OpenAsync();
        await using (var change = changer.BeginTransaction())
        {
            await changer.ExecuteAsync("UPDATE stock_records SET quantity = quantity + 5, revision = revision + 1 WHERE id = @created", new { created }, change);
            await holder.ExecuteAsync("COMMIT TRANSACTION");
            await WaitUntilBlockedByAsync(changer);
            await change.CommitAsync();
        }

        var outcome = await decrement;

        Assert.That(outcome, Is.TypeOf<ChangeOutcome.Applied>(), "judged on the record as the third transaction left it, not refused or failed");
        Assert.That(await QuantityAsync(created), Is.EqualTo(14), "10, plus the third transaction's 5, minus the decrement's 1");
        Assert.That(await QuantityAsync(waitedFor), Is.EqualTo(9));
        Assert.That(await CountAsync("SELECT count(*) FROM ledger WHERE request_id = 'request'"), Is.EqualTo(2));
    }

    [Test]
    public async Task A_decrement_using_up_its_order_s_hold_on_a_record_it_does_not_name_locks_that_record_in_key_order()
    {
        var a = await CreateAsync("item-a", 10);
        var b = await CreateAsync("item-b", 10);
        await HoldAsync("item-a", ttlSeconds: 600, orderId: "order");
        await using var holder = await LockAsync(b);
        // The order's decrement names only item-b; its hold is on item-a, which sorts before it.
        var ordersDecrement = DecrementAsync(_store, "request", "order", "item-b");
        await WaitUntilBlockedByAsync(holder);
        var othersDecrement = DecrementAsync(_store, "request-2", "other", "item-a", "item-b");
        await WaitUntilBlockedByAsync(holder, waiting: 2);

        await holder.ExecuteAsync("COMMIT TRANSACTION");

        Assert.That(await ordersDecrement, Is.TypeOf<ChangeOutcome.Applied>());
        Assert.That(await othersDecrement, Is.TypeOf<ChangeOutcome.Applied>());
        Assert.That(await QuantityAsync(a), Is.EqualTo(9), "the hold let go of its unit, the other order took one");
        Assert.That(await QuantityAsync(b), Is.EqualTo(8));
        Assert.That(await CountAsync("SELECT count(*) FROM allocations WHERE status = 'COMMITTED'"), Is.EqualTo(1), "the order's hold is used up");
    }

    [Test]
    public async Task A_hold_and_its_concurrent_retry_with_the_same_key_make_one_hold_even_when_it_takes_the_last_unit()
    {
        var record = await CreateAsync("item-a", 1);
        await using var holder = await LockAsync(record);
        var request = new AllocationRequest(Tenant, [new Demand(Key("item-a"), "{}", 1)], TtlSeconds: 600, OrderId: null, IdempotencyKey: "key", Merchant);
        var twins = new[] { _store.AllocateAsync(request, CancellationToken.None), _store.AllocateAsync(request, CancellationToken.None) };
        await WaitUntilBlockedByAsync(holder, waiting: 2);

        await holder.ExecuteAsync("COMMIT TRANSACTION");
        var outcomes = await Task.WhenAll(twins);

        Assert.That(outcomes, Is.All.TypeOf<AllocationOutcome.Created>(), "the later twin replays the first's hold rather than being refused for it");
        var created = outcomes.Cast<AllocationOutcome.Created>().ToList();
        Assert.That(created.Select(c => c.Allocation.Id).Distinct().Count(), Is.EqualTo(1));
        Assert.That(created.Count(c => c.Replayed), Is.EqualTo(1));
        Assert.That(await CountAsync("SELECT count(*) FROM allocations"), Is.EqualTo(1));
    }

    [Test]
    public async Task The_sweep_expires_holds_without_deadlocking_a_decrement_of_their_records()
    {
        var a = await CreateAsync("item-a", 10);
        var b = await CreateAsync("item-b", 10);
        // Due in this order: the hold on item-b first, though item-b sorts after item-a.
        await HoldAsync("item-b", ttlSeconds: 60);
        await HoldAsync("item-a", ttlSeconds: 120);
        _clock.Advance(TimeSpan.FromMinutes(5));
        await using var holder = await LockAsync(a);
        var decrement = DecrementAsync(_store, "request", "order", "item-a", "item-b");
        await WaitUntilBlockedByAsync(holder);
        var sweep = _store.ExpireAllocationsAsync(10, CancellationToken.None);
        await WaitUntilBlockedByAsync(holder, waiting: 2);

        await holder.ExecuteAsync("COMMIT TRANSACTION");

        Assert.That(await decrement, Is.TypeOf<ChangeOutcome.Applied>());
        Assert.That(await sweep, Is.EqualTo(2));
        Assert.That(await QuantityAsync(a), Is.EqualTo(9));
        Assert.That(await QuantityAsync(b), Is.EqualTo(9));
    }

    [Test]
    public async Task Two_imports_creating_the_same_records_in_opposite_orders_do_not_deadlock()
    {
        // The other import, by hand: it has inserted item-a and is about to insert item-b.
        const string Insert = """
            INSERT INTO stock_records (id, instance_id, app_id, catalog_item_id, variant_key, location_id,
                                       track_quantity, quantity, in_stock, revision, created_at, updated_at)
            VALUES (@id, 'tenant', 'app', @item, '', 'location', true, 10, true, 1, 0, 0)
            """;
        await using var other = await OpenAsync();
        await other.ExecuteAsync("START TRANSACTION");
        await other.ExecuteAsync(Insert, new { id = "other-a", item = "item-a" });
        var import = _store.UpsertAsync(
            [new NewStockRecord(Key("item-b"), TrackQuantity: true, 7, InStock: false), new NewStockRecord(Key("item-a"), TrackQuantity: true, 7, InStock: false)],
            Merchant, CancellationToken.None);
        await WaitUntilBlockedByAsync(other);

        await other.ExecuteAsync(Insert, new { id = "other-b", item = "item-b" });
        await other.ExecuteAsync("COMMIT TRANSACTION");
        var outcomes = await import;

        Assert.That(outcomes.Select(o => (o as RecordOutcome.Updated)?.Record.Id), Is.EqualTo(new[] { "other-b", "other-a" }),
            "each row updates the record the other import created, answered in the file's order");
        Assert.That(await QuantityAsync("other-a"), Is.EqualTo(7));
        Assert.That(await QuantityAsync("other-b"), Is.EqualTo(7));
    }

    [Test]
    public async Task A_lock_wait_the_database_cuts_short_is_answered_as_unavailable_and_changes_nothing()
    {
        var record = await CreateAsync("item-a", 10);
        await using var limited = new PostgresDatabase(Options.Create(new StorageOptions
        {
            Provider = "Postgres",
            ConnectionString = _connectionString + ";Options=-c lock_timeout=200",
        }));
        var store = new PostgresStockStore(limited, _clock);
        await using var holder = await LockAsync(record);

        var decrement = () => DecrementAsync(store, "request", "order", "item-a");

        Assert.That(decrement, Throws.TypeOf<StoreUnavailableException>(), "a retryable 503, not a 500");
        await holder.ExecuteAsync("COMMIT TRANSACTION");
        Assert.That(await QuantityAsync(record), Is.EqualTo(10));
        Assert.That(await CountAsync("SELECT count(*) FROM idempotency"), Is.EqualTo(0), "the claim of its requestId rolled back with it");
    }

    private static StockKey Key(string item) => new(Tenant, "app", item, "", Location);

    private static StockLine Line(string item) => new("app", item, "", Location, 1, "{}");

    private async Task<string> CreateAsync(string item, long quantity) =>
        ((RecordOutcome.Created)await _store.CreateAsync(new NewStockRecord(Key(item), TrackQuantity: true, quantity, InStock: false), Merchant, CancellationToken.None))
        .Record.Id;

    private async Task HoldAsync(string item, long ttlSeconds, string? orderId = null) =>
        Assert.That(
            await _store.AllocateAsync(new AllocationRequest(Tenant, [new Demand(Key(item), "{}", 1)], ttlSeconds, orderId, IdempotencyKey: null, Merchant), CancellationToken.None),
            Is.TypeOf<AllocationOutcome.Created>());

    /// <summary>A restricted platform decrement of one unit of each item; its requestId also makes its digest.</summary>
    private static Task<ChangeOutcome> DecrementAsync(PostgresStockStore store, string requestId, string orderId, params string[] items) =>
        store.ApplyAsync(
            new StockChange(StockOperation.Decrement, Tenant, requestId, System.Text.Encoding.UTF8.GetBytes(requestId), orderId, null, Restrict: true,
                new Actor("APP", "app"), items.Select(Line).ToList()),
            PlatformResponses.Render, CancellationToken.None);

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>A connection inside a transaction that holds the record's row lock until it commits.</summary>
    private async Task<NpgsqlConnection> LockAsync(string recordId)
    {
        var connection = await OpenAsync();
        await connection.ExecuteAsync("START TRANSACTION");
        await connection.ExecuteAsync("SELECT 1 FROM stock_records WHERE id = @recordId FOR UPDATE", new { recordId });
        return connection;
    }

    private async Task WaitUntilBlockedByAsync(NpgsqlConnection blocker, int waiting = 1)
    {
        var blockerPid = blocker.ProcessID;
        await using var observer = await OpenAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        // Waiters queue behind one another for a row lock: only the first is blocked by the holder itself.
        const string Blocked = """
            SELECT count(*) FILTER (WHERE cardinality(pg_blocking_pids(pid)) > 0)
                   * bool_or(@blockerPid = ANY(pg_blocking_pids(pid)))::int
            FROM pg_stat_activity WHERE datname = current_database()
            """;
        while (await observer.ExecuteScalarAsync<int>(Blocked, new { blockerPid }) < waiting)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"{waiting} transaction(s) waiting, behind the lock of backend {blockerPid}");
            await Task.Delay(20);
        }
    }

    private async Task<long> QuantityAsync(string recordId)
    {
        await using var connection = await OpenAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT quantity FROM stock_records WHERE id = @recordId", new { recordId });
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var connection = await OpenAsync();
        return await connection.ExecuteScalarAsync<long>(sql);
    }

    private sealed class SettableClock : TimeProvider
    {
        private DateTimeOffset _now = DateTimeOffset.UtcNow;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
