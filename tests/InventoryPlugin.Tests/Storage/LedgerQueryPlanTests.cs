using InventoryPlugin.Storage;
using Microsoft.Data.Sqlite;
using InventoryPlugin.Storage.Sqlite;

namespace InventoryPlugin.Tests.Storage;

/// <summary>
/// Every ledger page is served by an index that matches its filter: no scan of the tenant's ledger,
/// no sort of it. A ledger grows without end, so a plan that sorts it is a slow page waiting to happen.
/// </summary>
public sealed class LedgerQueryPlanTests
{
    private string _directory = null!;
    private SqliteConnection _connection = null!;

    [OneTimeSetUp]
    public void CreateDatabase()
    {
        _directory = Directory.CreateTempSubdirectory("ledger-plan-").FullName;
        _connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "inventory.db")};Pooling=False");
        _connection.Open();
        SqliteMigrator.Migrate(_connection);
    }

    [OneTimeTearDown]
    public void DeleteDatabase()
    {
        _connection.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static IEnumerable<TestCaseData> Filters()
    {
        yield return new TestCaseData(new LedgerFilter(), false, "ledger_by_tenant").SetName("no filter");
        yield return new TestCaseData(new LedgerFilter(OrderId: "o"), false, "ledger_by_order").SetName("order");
        yield return new TestCaseData(new LedgerFilter(RecordId: "r"), false, "ledger_by_record").SetName("record");
        yield return new TestCaseData(new LedgerFilter(RequestId: "q"), true, "seq span").SetName("request, through its idempotency row");
        yield return new TestCaseData(new LedgerFilter(RequestId: "q"), false, "ledger_by_tenant").SetName("request whose idempotency row was pruned");
        yield return new TestCaseData(new LedgerFilter(RecordId: "r", OrderId: "o"), false, "ledger_by_order").SetName("record and order");
        yield return new TestCaseData(new LedgerFilter(From: 1, To: 2), false, "ledger_by_tenant").SetName("time range");
    }

    [TestCaseSource(nameof(Filters))]
    public void A_page_searches_the_index_of_its_filter_and_sorts_nothing(LedgerFilter filter, bool bySpan, string index)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + SqliteLedgerQueries.PageSql(filter, bySpan);
        foreach (var name in new[] { "@instanceId", "@afterSeq", "@recordId", "@orderId", "@requestId", "@from", "@to", "@limit", "@first", "@last" })
        {
            command.Parameters.AddWithValue(name, DBNull.Value);
        }

        var plan = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                plan.Add(reader.GetString(3));
            }
        }

        // The span is a range of seqs within the tenant: bounded at both ends, whatever the ledger's size.
        var expected = index == "seq span"
            ? "SEARCH ledger USING INDEX ledger_by_tenant (instance_id=? AND seq>? AND seq<?)"
            : $"SEARCH ledger USING INDEX {index} ({Key(index)})";
        // A record's number is one probe of record_numbers' id index, made once for the whole page.
        string[] numberLookup = index == "ledger_by_record"
            ? ["SCALAR SUBQUERY 1", "SEARCH record_numbers USING COVERING INDEX sqlite_autoindex_record_numbers_1 (record_id=?)"]
            : [];
        Assert.That(plan, Is.EqualTo(new[] { expected }.Concat(numberLookup)), string.Join(" | ", plan));
    }

    private static string Key(string index) => index switch
    {
        "ledger_by_order" => "order_id=? AND seq>?",
        "ledger_by_record" => "record_no=? AND seq>?",
        _ => "instance_id=? AND seq>?",
    };
}
