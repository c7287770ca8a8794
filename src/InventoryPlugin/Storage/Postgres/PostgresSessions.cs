using System.Data.Common;
using Npgsql;

namespace InventoryPlugin.Storage.Postgres;

public sealed partial class PostgresSessions(PostgresDatabase database, ILogger<PostgresSessions> logger) : IStoreSessions, IAsyncDisposable
{
    /// <summary>The session advisory lock whose holder dispatches webhooks (any constant the application owns).</summary>
    private const long DispatchLock = 0x496e76_57686b73; // "InvWhks"

    private NpgsqlConnection? _lease;

    public Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken) =>
        database.RunAsync(connection => work(connection), cancellationToken);

    public Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        database.RunAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var result = await work(connection, transaction).ConfigureAwait(false);
            await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            return result;
        }, cancellationToken);

    /// <summary>
    /// The lock lives as long as its connection: if this replica dies or loses the database, the server
    /// releases it and another replica takes over at its next try. Called by the dispatcher only.
    /// </summary>
    public async Task<bool> HoldsDispatchLeaseAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_lease is not null)
            {
                await using var alive = new NpgsqlCommand("SELECT 1", _lease);
                await alive.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }

            _lease = await database.SessionDataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var take = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", _lease) { Parameters = { new() { Value = DispatchLock } } };
            if ((bool)(await take.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                LogLeaseTaken();
                return true;
            }
        }
        catch (Exception exception) when (PostgresDatabase.IsUnavailable(exception))
        {
            LogLeaseLost(exception);
        }

        await DropLeaseAsync().ConfigureAwait(false);
        return false;
    }

    public ValueTask DisposeAsync() => new(DropLeaseAsync());

    private async Task DropLeaseAsync()
    {
        if (_lease is null)
        {
            return;
        }

        // Unpooled: closing the connection ends its session, and the server releases the lock.
        await _lease.DisposeAsync().ConfigureAwait(false);
        _lease = null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "This replica now dispatches webhooks")]
    private partial void LogLeaseTaken();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the webhook dispatch lease; another replica may take it over")]
    private partial void LogLeaseLost(Exception exception);
}
