using Dapper;

namespace InventoryPlugin.Storage.Sqlite;

/// <summary>Stock events, written in the transaction of the change that caused them.</summary>
internal static class SqliteStockEvents
{
    /// <summary>The event's cause: the record's latest ledger entry, which this transaction wrote; found by the record's number.</summary>
    private const string LastLedgerSeq =
        $"SELECT MAX(seq) FROM ledger WHERE record_no = ({SqliteLedgerQueries.RecordNumber}) AND instance_id = @instanceId AND record_id = @recordId";

    /// <summary>
    /// Judges every record the write changed against the level it last announced; remembers a new level
    /// and writes its event to the outbox, in the same savepoint as the change.
    /// </summary>
    public static void Settle(WriteContext context)
    {
        foreach (var (recordId, touch) in context.Watch.Records)
        {
            if (context.Watch.KnownToStay(recordId))
            {
                continue;
            }

            var row = context.Connection.QuerySingleOrDefault<StockRecordRow>(
                StockEventRows.RecordById, new { id = recordId, now = context.NowMs }, context.Transaction);

            // A record deleted in the same write has no level left to announce.
            if (row?.ToRecord() is not { } after || StockEventRows.Judge(after, touch, context.NowMs) is not { } crossed)
            {
                continue;
            }

            context.Connection.Execute(StockEventRows.SetLevel, new { id = recordId, level = crossed.Level }, context.Transaction);
            if (crossed.Event is { } stockEvent)
            {
                stockEvent.LedgerSeq = context.Connection.ExecuteScalar<long>(
                    LastLedgerSeq, new { instanceId = touch.InstanceId, recordId }, context.Transaction);
                context.Connection.Execute(StockEventRows.Insert, stockEvent, context.Transaction);
            }
        }

        context.Watch.Clear();
    }
}
