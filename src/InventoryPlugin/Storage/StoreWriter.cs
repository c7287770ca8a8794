using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace InventoryPlugin.Storage;

/// <summary>The open transaction a write runs in, inside its own savepoint.</summary>
public sealed record WriteContext(SqliteConnection Connection, SqliteTransaction Transaction, long NowMs);

/// <summary>
/// The only writer of the database. Every change goes through one queue, drained by one
/// connection: SQLite allows one writer anyway, and queueing here replaces its busy-retry sleeps
/// (long, unfair waits under contention) with first-come order.
/// </summary>
/// <remarks>
/// Group commit: the writer takes up to <see cref="StorageOptions.MaxBatchSize"/> waiting writes,
/// runs each in its own savepoint inside one <c>BEGIN IMMEDIATE</c> transaction, commits once, and
/// only then completes their tasks. A write that throws is rolled back to its savepoint and fails
/// alone; a failed commit fails every write of the batch, none of which is then in the database.
/// A caller therefore sees success only for a write that is durable.
/// </remarks>
public sealed partial class StoreWriter : IHostedService, IDisposable
{
    private readonly SqliteConnectionFactory _connections;
    private readonly ILogger<StoreWriter> _logger;
    private readonly TimeProvider _clock;
    private readonly int _maxBatchSize;
    private readonly Channel<WriteJob> _queue;
    private SqliteConnection? _connection;
    private Task? _loop;

    public StoreWriter(SqliteConnectionFactory connections, IOptions<StorageOptions> options, TimeProvider clock, ILogger<StoreWriter> logger)
    {
        _connections = connections;
        _logger = logger;
        _clock = clock;
        _maxBatchSize = Math.Max(1, options.Value.MaxBatchSize);
        _queue = Channel.CreateBounded<WriteJob>(new BoundedChannelOptions(Math.Max(1, options.Value.QueueCapacity))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>True once the database is open and migrated to the latest version.</summary>
    public bool IsReady { get; private set; }

    /// <summary>Runs <paramref name="work"/> in the writer's transaction; completes after the commit.</summary>
    public async Task<T> WriteAsync<T>(Func<WriteContext, T> work, CancellationToken cancellationToken)
    {
        var job = new WriteJob<T>(work);
        if (!_queue.Writer.TryWrite(job))
        {
            await _queue.Writer.WriteAsync(job, cancellationToken).ConfigureAwait(false);
        }

        return await job.Task.ConfigureAwait(false);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _connection = _connections.OpenWriter();
        Migrator.Migrate(_connection);
        IsReady = true;
        LogStarted(_connections.DatabasePath, Migrator.LatestVersion, _maxBatchSize);
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Finish what was accepted: those callers are waiting for their answer.
        _queue.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        IsReady = false;
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _connection?.Dispose();
    }

    private async Task RunAsync()
    {
        var batch = new List<WriteJob>(_maxBatchSize);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _maxBatchSize && _queue.Reader.TryRead(out var job))
            {
                batch.Add(job);
            }

            RunBatch(batch);
            batch.Clear();
        }
    }

    private void RunBatch(List<WriteJob> batch)
    {
        try
        {
            var connection = _connection ??= _connections.OpenWriter();
            using var transaction = connection.BeginTransaction();
            var context = new WriteContext(connection, transaction, _clock.GetUtcNow().ToUnixTimeMilliseconds());
            foreach (var job in batch)
            {
                transaction.Save("job");
                try
                {
                    job.Run(context);
                    transaction.Release("job");
                }
                catch (Exception exception) when (exception is not SqliteException { SqliteErrorCode: SQLitePCL.raw.SQLITE_FULL or SQLitePCL.raw.SQLITE_IOERR })
                {
                    transaction.Rollback("job");
                    transaction.Release("job");
                    job.Fail(exception);
                    LogWriteFailed(exception);
                }
            }

            transaction.Commit();
        }
        catch (Exception exception)
        {
            // Nothing of this batch is in the database; start the next one on a fresh connection.
            LogBatchFailed(exception, batch.Count);
            foreach (var job in batch)
            {
                job.Fail(exception);
            }

            _connection?.Dispose();
            _connection = null;
            return;
        }

        foreach (var job in batch)
        {
            job.Complete();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Store open at {DatabasePath}, schema version {SchemaVersion}, group commit up to {MaxBatchSize} requests")]
    private partial void LogStarted(string databasePath, int schemaVersion, int maxBatchSize);

    [LoggerMessage(Level = LogLevel.Error, Message = "A write failed and was rolled back alone")]
    private partial void LogWriteFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "A batch of {BatchSize} writes failed to commit; none was applied")]
    private partial void LogBatchFailed(Exception exception, int batchSize);

    private abstract class WriteJob
    {
        public abstract void Run(WriteContext context);

        public abstract void Complete();

        public abstract void Fail(Exception exception);
    }

    private sealed class WriteJob<T>(Func<WriteContext, T> work) : WriteJob
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;
        private Exception? _failure;

        public Task<T> Task => _completion.Task;

        public override void Run(WriteContext context) => _result = work(context);

        public override void Complete()
        {
            if (_failure is null)
            {
                _completion.TrySetResult(_result!);
            }
        }

        public override void Fail(Exception exception)
        {
            _failure = exception;
            _completion.TrySetException(exception);
        }
    }
}
