using System.Data.Common;
using Npgsql;

namespace InventoryPlugin.Storage.Postgres;

public sealed partial class PostgresSessions(PostgresDatabase database, ILogger<PostgresSessions> logger) : IStoreSessions, IAsyncDisposable
{
    /// <summary>The session advisory lock whose holder dispatches webhooks (any constant the application owns).</summary>
    private const long DispatchLock = 0x496e76_57686b73; // "InvWhks"

    // Outside the pool, kept between tries: whoever holds the lock holds it on this session, and a
    // replica waiting for it asks again on the same one rather than opening a connection at every poll.
    private NpgsqlConnection? _session;
    private bool _holdsLease;

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
            _session ??= await database.SessionDataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            if (_holdsLease)
            {
                await using var alive = new NpgsqlCommand("SELECT 1", _session);
                await alive.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }

            await using var take = OnDispatchLock("SELECT pg_try_advisory_lock($1)");
            _holdsLease = (bool)(await take.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            if (_holdsLease)
            {
                LogLeaseTaken();
            }

            return _holdsLease;
        }
        catch (Exception exception) when (PostgresDatabase.IsUnavailable(exception))
        {
            if (_holdsLease)
            {
                LogLeaseLost(exception);
            }

            await DropSessionAsync().ConfigureAwait(false);
            return false;
        }
    }

    /// <summary>
    /// A graceful stop hands the lease over at once: the server frees a closed session's locks only once its
    /// backend has noticed the goodbye, so a replica asking right after could still find the lease taken.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_holdsLease && _session is { State: System.Data.ConnectionState.Open })
        {
            try
            {
                await using var release = OnDispatchLock("SELECT pg_advisory_unlock($1)");
                await release.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception exception) when (PostgresDatabase.IsUnavailable(exception))
            {
                // Closing the session below releases it as well, only later.
            }
        }

        await DropSessionAsync().ConfigureAwait(false);
    }

    private NpgsqlCommand OnDispatchLock(string sql) => new(sql, _session) { Parameters = { new() { Value = DispatchLock } } };

    /// <summary>Unpooled: closing the connection ends its session, and the server releases the lock.</summary>
    private async Task DropSessionAsync()
    {
        _holdsLease = false;
        if (_session is null)
        {
            return;
        }

        await _session.DisposeAsync().ConfigureAwait(false);
        _session = null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "This replica now dispatches webhooks")]
    private partial void LogLeaseTaken();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the webhook dispatch lease; another replica may take it over")]
    private partial void LogLeaseLost(Exception exception);
}
