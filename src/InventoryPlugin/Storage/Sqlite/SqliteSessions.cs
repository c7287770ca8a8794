using System.Data.Common;

namespace InventoryPlugin.Storage.Sqlite;

public sealed class SqliteSessions(SqliteConnectionFactory connections, StoreWriter writer) : IStoreSessions
{
    public async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        using var connection = connections.OpenRead();
        return await work(connection).ConfigureAwait(false);
    }

    /// <summary>
    /// On the single writer, like every other write. Microsoft.Data.Sqlite completes its "async" calls
    /// synchronously, so waiting for the work here never blocks on I/O that another thread would finish.
    /// </summary>
    public Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        writer.WriteAsync(context => work(context.Connection, context.Transaction).GetAwaiter().GetResult(), cancellationToken);

    public Task<bool> HoldsDispatchLeaseAsync(CancellationToken cancellationToken) => Task.FromResult(true);
}
