using System.Runtime.CompilerServices;
using Dapper;
using InventoryPlugin.Stock;
using Npgsql;

namespace InventoryPlugin.Storage.Postgres;

/// <summary>Stock events, written in the transaction of the change that caused them.</summary>
internal static class PostgresStockEvents
{
    /// <summary>
    /// The advisory lock a transaction takes before it writes events, held until it commits: event seqs
    /// are then handed out in commit order, so a reader paging by seq never passes an event that a
    /// slower replica commits later with a smaller seq. Events are rare; the lock is the last one taken.
    /// </summary>
    private const long EventOrderLock = 0x496e76_45766e74; // "InvEvnt"

    // What each open transaction's ledger entries changed; dropped with the transaction.
    private static readonly ConditionalWeakTable<NpgsqlTransaction, StockLevelWatch> Watches = new();

    private static readonly string RecordsByIds = $"SELECT {StockRecordRow.Columns} FROM stock_records WHERE id = ANY(@ids)";

    /// <summary>
    /// Starts watching a new transaction. Npgsql reuses a connection's transaction object, so what a
    /// rolled-back transaction saw must not carry over to the next one on that connection.
    /// </summary>
    public static void Begin(NpgsqlTransaction transaction) => Watches.AddOrUpdate(transaction, new StockLevelWatch());

    public static void Saw(NpgsqlTransaction transaction, LedgerEntry entry) => Watches.GetOrCreateValue(transaction).Saw(entry);

    /// <summary>See <see cref="StockLevelWatch.Know"/>: the rows the change judged, under its locks.</summary>
    public static void Know(NpgsqlTransaction transaction, StockRecordState after) => Watches.GetOrCreateValue(transaction).Know(after);

    /// <summary>
    /// Judges every record the transaction changed against the level it last announced; remembers a new
    /// level and writes its event to the outbox. Call it last, just before the commit.
    /// </summary>
    public static async Task SettleAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long now)
    {
        if (!Watches.TryGetValue(transaction, out var watch) || watch.Records.Count == 0)
        {
            return;
        }

        Watches.Remove(transaction);
        var unknown = watch.Records.Keys.Where(id => !watch.KnownToStay(id)).ToArray();
        if (unknown.Length == 0)
        {
            return;
        }

        var after = await connection.QueryAsync<StockRecordRow>(RecordsByIds, new { ids = unknown, now }, transaction).ConfigureAwait(false);
        var crossings = after
            .Select(row => (Row: row, Crossed: StockEventRows.Judge(row.ToRecord(), watch.Records[row.Id], now)))
            .Where(c => c.Crossed is not null)
            .OrderBy(c => c.Row.Id, StringComparer.Ordinal)
            .ToList();
        if (crossings.Any(c => c.Crossed!.Value.Event is not null))
        {
            await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@key)", new { key = EventOrderLock }, transaction).ConfigureAwait(false);
        }

        foreach (var (row, crossed) in crossings)
        {
            await connection.ExecuteAsync(StockEventRows.SetLevel, new { id = row.Id, level = crossed!.Value.Level }, transaction).ConfigureAwait(false);
            if (crossed.Value.Event is { } stockEvent)
            {
                stockEvent.LedgerSeq = await connection.ExecuteScalarAsync<long>(
                    StockEventRows.LastLedgerSeq, new { instanceId = row.InstanceId, recordId = row.Id }, transaction).ConfigureAwait(false);
                await connection.ExecuteAsync(StockEventRows.Insert, stockEvent, transaction).ConfigureAwait(false);
            }
        }
    }
}
