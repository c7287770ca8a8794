using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace InventoryPlugin.Storage.Sqlite;

/// <summary>The open transaction a write runs in, inside its own savepoint.</summary>
public sealed record WriteContext(SqliteConnection Connection, SqliteTransaction Transaction, long NowMs)
{
    internal PreparedStatements? Statements { get; init; }

    /// <summary>The records the current write's ledger entries changed (<see cref="SqliteLedger.Append"/>).</summary>
    public StockLevelWatch Watch { get; } = new();

    /// <summary>
    /// <paramref name="sql"/> bound to these values (null as NULL), prepared once on the writer's
    /// connection and reused by every later write, so SQLite parses the statement once instead of once
    /// per request. The values come in the same order, under the same names, at every call.
    /// </summary>
    public PreparedStatement Prepared(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var statements = Statements ?? throw new InvalidOperationException("Only the store writer's contexts keep prepared statements.");
        return statements.Get(Connection, sql, parameters);
    }
}

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
/// A caller therefore sees success only for a write that is durable. The writer's statements are
/// prepared once (<see cref="WriteContext.Prepared"/>), and WAL checkpoints run mostly beside it,
/// on a connection of their own, rather than inside the commits requests wait for; the writer
/// itself copies only the last few frames, when the WAL is to start over (<see cref="CheckpointAsync"/>).
/// </remarks>
public sealed partial class StoreWriter : IHostedService, IDisposable
{
    /// <summary>Consecutive catch-up checkpoints at most, before the writer is asked to copy the rest.</summary>
    private const int MaxCatchUpPasses = 8;

    /// <summary>A catch-up checkpoint that finds fewer new frames than this has caught up.</summary>
    private const int CaughtUpFrames = 200;

    /// <summary>The writer's page cache, in KiB: the hot pages of the indexes it inserts into stay in memory.</summary>
    private const int WriterCacheKib = 8192;

    private static readonly TimeSpan CheckpointInterval = TimeSpan.FromMilliseconds(250);

    private readonly SqliteConnectionFactory _connections;
    private readonly ILogger<StoreWriter> _logger;
    private readonly TimeProvider _clock;
    private readonly int _maxBatchSize;
    private readonly Channel<WriteJob> _queue;
    private readonly PreparedStatements _statements = new();
    private readonly SemaphoreSlim _committed = new(0, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Hosting.InventoryMetrics? _metrics;
    private SqliteConnection? _connection;
    private Task? _loop;
    private Task? _checkpoints;
    private int _restartRequested;

    public StoreWriter(SqliteConnectionFactory connections, IOptions<StorageOptions> options, TimeProvider clock, ILogger<StoreWriter> logger, Hosting.InventoryMetrics? metrics = null)
    {
        _metrics = metrics;
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

    /// <summary>
    /// WAL frames (pages, 4 KiB each) at which the background checkpointer catches up and has the WAL
    /// start over from its beginning: 64 MiB.
    /// </summary>
    internal int WalRestartFrames { get; init; } = 16384;

    /// <summary>
    /// WAL frames at which the writer checkpoints itself inside a commit, as SQLite does by default:
    /// 256 MiB, only reached if the background checkpointer falls behind or fails.
    /// </summary>
    internal int WriterCheckpointFrames { get; init; } = 65536;

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
        NativeHeap.KeepFreedMemory(Environment.GetEnvironmentVariable);
        _connection = OpenWriter();
        SqliteMigrator.Migrate(_connection);
        IsReady = true;
        LogStarted(_connections.DatabasePath, SqliteMigrator.Scripts.LatestVersion, _maxBatchSize);
        _loop = Task.Run(RunAsync, CancellationToken.None);
        _checkpoints = Task.Run(CheckpointAsync, CancellationToken.None);
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

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_checkpoints is not null)
        {
            await _checkpoints.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        IsReady = false;
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _stopping.Cancel();
        CloseConnection();
    }

    /// <summary>
    /// The writer's connection. Its own automatic checkpoint (<see cref="WriterCheckpointFrames"/>) is
    /// only the backstop: the WAL normally starts over after <see cref="CheckpointForRestart"/>.
    /// </summary>
    /// <remarks>
    /// temp_store = MEMORY keeps the savepoints' sub-journal (the before-image of every page a request
    /// changes, kept until its savepoint is released) in memory: on a temp file it cost two write calls
    /// per page, about seven per request. The larger cache spares re-reading index pages from the WAL
    /// and the database file. Both measured with the bench's syscall counts (README, Benchmark).
    /// </remarks>
    private SqliteConnection OpenWriter()
    {
        var connection = _connections.OpenWriter();
        using var command = connection.CreateCommand();
        command.CommandText =
            $"PRAGMA wal_autocheckpoint = {WriterCheckpointFrames}; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -{WriterCacheKib};";
        command.ExecuteNonQuery();
        return connection;
    }

    /// <summary>
    /// Copies committed WAL frames into the database file on a connection of its own, beside the
    /// writer (a PASSIVE checkpoint never blocks it): the copying and the database file's fsync stay
    /// off the path every request waits on. Commits themselves are unchanged: durable in the WAL
    /// (synchronous=FULL) before any caller is answered.
    /// </summary>
    /// <remarks>
    /// The WAL can start over from its beginning only once every frame is in the database file, and
    /// under steady writes a checkpoint beside the writer never gets there: frames keep arriving while
    /// it copies. Left to SQLite, the writer then copies everything since the last background pass
    /// inside a commit (about 1,000 pages and a flush of the database file, 20–30 ms on this
    /// machine kind, with every waiting request stalled behind it). So once the WAL holds
    /// <see cref="WalRestartFrames"/> frames, this loop catches up: each further pass copies only what
    /// was committed during the one before, so the passes shorten, and then the writer copies the
    /// last few (<see cref="CheckpointForRestart"/>), a stall of a few milliseconds (README, levers).
    /// </remarks>
    private async Task CheckpointAsync()
    {
        try
        {
            using var connection = _connections.OpenCheckpointer();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
            while (true)
            {
                await _committed.WaitAsync(_stopping.Token).ConfigureAwait(false);
                try
                {
                    var frames = CheckpointPassive(command);
                    if (frames >= WalRestartFrames)
                    {
                        var arrived = long.MaxValue;
                        for (var pass = 0; pass < MaxCatchUpPasses; pass++)
                        {
                            var before = frames;
                            frames = CheckpointPassive(command);
                            var previouslyArrived = arrived;
                            arrived = frames - before;
                            if (arrived < CaughtUpFrames || arrived > previouslyArrived / 2)
                            {
                                break;
                            }
                        }

                        Volatile.Write(ref _restartRequested, 1);
                    }
                }
                catch (SqliteException exception)
                {
                    // The writer's own checkpoint remains the backstop; try again after the pause.
                    LogCheckpointFailed(exception);
                }

                // Let frames accumulate: a page rewritten by many commits is then copied once.
                await Task.Delay(CheckpointInterval, _stopping.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        catch (Exception exception) when (exception is SqliteException or IOException)
        {
            LogCheckpointFailed(exception);
        }
    }

    /// <summary>Runs a PASSIVE checkpoint; returns the frames the WAL held when it started.</summary>
    private static long CheckpointPassive(SqliteCommand checkpoint)
    {
        using var reader = checkpoint.ExecuteReader();
        return reader.Read() ? reader.GetInt64(1) : 0;
    }

    /// <summary>
    /// Between batches, when the checkpointer has caught up: copies the frames committed since its last
    /// pass. No commit can slip in meanwhile (this is the only writer), so every frame is then in the
    /// database file, and the next transaction starts the WAL over from its beginning (unless a reader
    /// still holds an older snapshot; the checkpointer then asks again after its next pass).
    /// </summary>
    private void CheckpointForRestart()
    {
        if (Interlocked.Exchange(ref _restartRequested, 0) == 0 || _connection is null)
        {
            return;
        }

        try
        {
            _statements.Get(_connection, "PRAGMA wal_checkpoint(PASSIVE)", []).Execute();
        }
        catch (SqliteException exception)
        {
            LogCheckpointFailed(exception);
        }
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

            _metrics?.BatchSize.Observe(batch.Count);
            _metrics?.QueueDepth.Set(_queue.Reader.Count);
            RunBatch(batch);
            batch.Clear();
            CheckpointForRestart();
        }
    }

    private void RunBatch(List<WriteJob> batch)
    {
        try
        {
            var connection = _connection ??= OpenWriter();
            using var transaction = connection.BeginTransaction();
            var context = new WriteContext(connection, transaction, _clock.GetUtcNow().ToUnixTimeMilliseconds()) { Statements = _statements };
            // What SqliteTransaction.Save/Rollback/Release run, prepared once instead of parsed per write.
            var save = context.Prepared("SAVEPOINT job");
            var release = context.Prepared("RELEASE SAVEPOINT job");
            var rollback = context.Prepared("ROLLBACK TO SAVEPOINT job");
            foreach (var job in batch)
            {
                save.Execute();
                try
                {
                    job.Run(context);
                    release.Execute();
                }
                catch (Exception exception) when (exception is not SqliteException { SqliteErrorCode: SQLitePCL.raw.SQLITE_FULL or SQLitePCL.raw.SQLITE_IOERR })
                {
                    rollback.Execute();
                    release.Execute();
                    job.Fail(exception);
                    LogWriteFailed(exception);
                }
            }

            transaction.Commit();
            if (_committed.CurrentCount == 0)
            {
                // Wake the checkpointer (only this thread releases, so the count never exceeds 1).
                _committed.Release();
            }
        }
        catch (Exception exception)
        {
            // Nothing of this batch is in the database; start the next one on a fresh connection.
            LogBatchFailed(exception, batch.Count);
            var unavailable = new StoreUnavailableException("The SQLite store could not commit; nothing of this request was applied.", exception);
            foreach (var job in batch)
            {
                job.Fail(unavailable);
            }

            CloseConnection();
            return;
        }

        foreach (var job in batch)
        {
            job.Complete();
        }
    }

    private void CloseConnection()
    {
        _statements.Clear();
        _connection?.Dispose();
        _connection = null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Store open at {DatabasePath}, schema version {SchemaVersion}, group commit up to {MaxBatchSize} requests")]
    private partial void LogStarted(string databasePath, int schemaVersion, int maxBatchSize);

    [LoggerMessage(Level = LogLevel.Error, Message = "A write failed and was rolled back alone")]
    private partial void LogWriteFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A background WAL checkpoint failed; the writer's own checkpoint remains the backstop")]
    private partial void LogCheckpointFailed(Exception exception);

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
