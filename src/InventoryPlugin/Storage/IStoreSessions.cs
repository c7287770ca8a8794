using System.Data.Common;

namespace InventoryPlugin.Storage;

/// <summary>
/// Dapper work on the configured store's own connections, for features whose SQL both providers share
/// (stock events and webhooks): reads beside the writers, and writes each in one transaction.
/// </summary>
public interface IStoreSessions
{
    Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken);

    Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken);

    /// <summary>
    /// Whether this process runs the webhook dispatcher now: always on SQLite (one process owns the
    /// file); on PostgreSQL, one replica at a time, the one holding a session advisory lock.
    /// </summary>
    Task<bool> HoldsDispatchLeaseAsync(CancellationToken cancellationToken);
}
