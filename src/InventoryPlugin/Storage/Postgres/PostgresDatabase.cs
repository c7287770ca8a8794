using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Npgsql;

namespace InventoryPlugin.Storage.Postgres;

/// <summary>
/// The pool of connections to the one PostgreSQL database every replica shares, and the one place
/// that tells "the database cannot be reached" (a 503, retry safely) from a bug (a 500).
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    /// <summary>
    /// Connections per replica unless the connection string names its own <c>Maximum Pool Size</c>
    /// (Npgsql's default is 100). Transactions beyond what the database's cores can run only wait
    /// inside it, and waiting there costs it CPU: with 64 transactions queued for one hot record's row
    /// lock it spent three times as much per request as with 8. Requests queue better here, for a
    /// connection, than there (README, levers).
    /// </summary>
    public const int DefaultMaxPoolSize = 8;

    public PostgresDatabase(IOptions<StorageOptions> options)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.Value.ConnectionString);
        // The hot statements are few and the same every time: let Npgsql prepare them on each connection.
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 64;
            builder.AutoPrepareMinUsages = 2;
        }

        if (!Names(options.Value.ConnectionString, "MaximumPoolSize", "MaxPoolSize"))
        {
            builder.MaxPoolSize = DefaultMaxPoolSize;
        }

        // Pooled connections carry no session state of their own (the work on them keeps to transactions:
        // SET LOCAL, transaction-scoped advisory locks), so the reset Npgsql would otherwise send before a
        // connection's next use, seven statements, is only work for the database at every request (README, levers).
        if (!Names(options.Value.ConnectionString, "NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        Description = $"{builder.Host}:{builder.Port}/{builder.Database}";
        DataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        SessionDataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(builder.ConnectionString) { Pooling = false }.ConnectionString);
    }

    /// <summary>The pool every request's work runs on: transactions only, nothing that outlives them.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>
    /// Unpooled connections for work that holds session state (the migrations' and the webhook
    /// dispatcher's session advisory locks): closing one ends its session, and with it the state,
    /// whatever went wrong before.
    /// </summary>
    public NpgsqlDataSource SessionDataSource { get; }

    /// <summary>Host, port and database: what logs and commands may show (never the password).</summary>
    public string Description { get; }

    /// <summary>Runs <paramref name="work"/> on a pooled connection; an unreachable database becomes <see cref="StoreUnavailableException"/>.</summary>
    public async Task<T> RunAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            return await work(connection).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsUnavailable(exception))
        {
            throw new StoreUnavailableException($"The PostgreSQL store at {Description} cannot be reached; nothing was changed.", exception);
        }
    }

    /// <summary>
    /// Connection failures, timeouts (the client's or the database's), a server shutting down or out of
    /// resources, and the transaction conflicts PostgreSQL asks clients to retry (and the store's own: the
    /// records to lock changing again and again under a transaction): all roll the transaction back, none is a bug.
    /// </summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal)  // connection exception
            || postgres.SqlState.StartsWith("53", StringComparison.Ordinal)                         // insufficient resources
            || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal)                        // shutdown, cannot connect now
            || postgres.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
            // A wait cut short by a limit the database's operator set (statement_timeout, lock_timeout).
            || postgres.SqlState is PostgresErrorCodes.QueryCanceled or PostgresErrorCodes.LockNotAvailable,
        NpgsqlException => true,
        SocketException or TimeoutException => true,
        LockSetChangedException => true,
        _ => false,
    };

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync().ConfigureAwait(false);
        await SessionDataSource.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Whether <paramref name="connectionString"/> sets one of these keywords (spaces and case aside).</summary>
    private static bool Names(string connectionString, params string[] keywords)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        return given.Keys.Cast<string>().Any(key => keywords.Contains(key.Replace(" ", "", StringComparison.Ordinal), StringComparer.OrdinalIgnoreCase));
    }
}
