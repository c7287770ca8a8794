using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using Npgsql;

namespace InventoryPlugin.Bench;

/// <summary>
/// The PostgreSQL server of the bench's PostgreSQL rows: a throwaway cluster in a temp folder (initdb and
/// pg_ctl, run as the postgres OS user when the bench runs as root), or the existing server named by
/// <see cref="ConnectionVariable"/>. Every run gets a fresh database of its own. Disposing stops the
/// throwaway cluster (pg_ctl stop) and deletes its folder.
/// </summary>
public sealed class BenchPostgres : IAsyncDisposable
{
    /// <summary>Env var: an Npgsql connection string to an existing server; when set, no cluster is started.</summary>
    public const string ConnectionVariable = "INVENTORY_BENCH_POSTGRES";

    /// <summary>The counters of <see cref="WalCountersAsync"/>, named as pg_stat_wal names them.</summary>
    public const string WalRecords = "wal_records";
    public const string WalFullPageImages = "wal_fpi";
    public const string WalBytes = "wal_bytes";
    public const string WalWrites = "wal_write";
    public const string WalSyncs = "wal_sync";
    public const string WalWriteMs = "wal_write_time";
    public const string WalSyncMs = "wal_sync_time";

    private const string OsUser = "postgres";

    private static readonly TimeSpan InitdbTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan PgCtlTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ShortTimeout = TimeSpan.FromSeconds(30);

    private readonly Func<string> _admin;
    private readonly Func<string, string> _connectionStringFor;
    private readonly Cluster? _cluster;
    private readonly Lock _stopLock = new();
    private bool _stopped;
    private IDisposable? _stopOnExit;

    private BenchPostgres(Func<string> admin, Func<string, string> connectionStringFor, Cluster? cluster, string description)
    {
        _admin = admin;
        _connectionStringFor = connectionStringFor;
        _cluster = cluster;
        Description = description;
    }

    /// <summary>Where the server is and what it is, for the report.</summary>
    public string Description { get; private set; }

    /// <summary>The postmaster's process id, when it runs on this machine and could be found: its processes' CPU is counted.</summary>
    public int? PostmasterPid { get; private set; }

    /// <summary>The settings that decide durability and speed, as the server reports them.</summary>
    public string Settings { get; private set; } = "";

    public string Version { get; private set; } = "";

    /// <summary>The throwaway cluster's folder (data, log, unix socket), or null for an existing server.</summary>
    public string? Folder => _cluster?.Folder;

    /// <summary>Starts the throwaway cluster, or connects to the server in <see cref="ConnectionVariable"/>.</summary>
    public static async Task<BenchPostgres> StartAsync(TextWriter progress)
    {
        var existing = Environment.GetEnvironmentVariable(ConnectionVariable);
        var server = string.IsNullOrWhiteSpace(existing) ? StartCluster(progress) : UseExisting(existing);
        try
        {
            await server.InspectAsync().ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return server;
    }

    /// <summary>A fresh, empty database; returns its name and the Npgsql connection string the service gets.</summary>
    public async Task<(string Name, string ConnectionString)> CreateDatabaseAsync()
    {
        var name = "bench_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(_admin()))
        {
            await connection.OpenAsync().ConfigureAwait(false);
            await using var create = connection.CreateCommand();
            create.CommandText = $"CREATE DATABASE \"{name}\"";
            await create.ExecuteNonQueryAsync().ConfigureAwait(false);
            // Every window starts without the previous run's dirty pages still to be written.
            await using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "CHECKPOINT";
            try
            {
                await checkpoint.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                // An existing server's user may not checkpoint (superuser or pg_checkpoint): the run goes on without.
            }
        }

        return (name, _connectionStringFor(name));
    }

    /// <summary>
    /// The server's WAL counters (pg_stat_wal; the whole cluster, so the bench's throwaway one is all the
    /// bench's): records, full-page images, bytes, write and fsync calls, and their milliseconds when
    /// track_wal_io_timing is on. Backends publish them about once a second, so a window's figures are approximate.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, double>> WalCountersAsync()
    {
        await using var connection = new NpgsqlConnection(_admin());
        await connection.OpenAsync().ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT wal_records::float8, wal_fpi::float8, wal_bytes::float8, wal_write::float8, wal_sync::float8, wal_write_time, wal_sync_time FROM pg_stat_wal";
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        await reader.ReadAsync().ConfigureAwait(false);
        return new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [WalRecords] = reader.GetDouble(0),
            [WalFullPageImages] = reader.GetDouble(1),
            [WalBytes] = reader.GetDouble(2),
            [WalWrites] = reader.GetDouble(3),
            [WalSyncs] = reader.GetDouble(4),
            [WalWriteMs] = reader.GetDouble(5),
            [WalSyncMs] = reader.GetDouble(6),
        };
    }

    /// <summary>Whether the server times its WAL writes and fsyncs (track_wal_io_timing).</summary>
    public bool TimesWalIo => Settings.Contains("track_wal_io_timing=on", StringComparison.Ordinal);

    /// <summary>Drops a database of <see cref="CreateDatabaseAsync"/> once nothing uses it (WITH (FORCE): a pool left open).</summary>
    public async Task DropDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_admin());
        await connection.OpenAsync().ConfigureAwait(false);
        await using var drop = connection.CreateCommand();
        drop.CommandText = $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)";
        await drop.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>Stops the throwaway cluster (if the bench started one) and deletes its folder. Idempotent, thread-safe.</summary>
    public void Stop()
    {
        lock (_stopLock)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
        }

        _stopOnExit?.Dispose();
        NpgsqlConnection.ClearAllPools();
        _cluster?.Destroy();
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }

    private async Task InspectAsync()
    {
        await using var connection = new NpgsqlConnection(_admin());
        await connection.OpenAsync().ConfigureAwait(false);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                SELECT name || '=' || setting || COALESCE(unit, '') FROM pg_settings
                WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'commit_delay',
                               'shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'max_connections', 'wal_level',
                               'track_wal_io_timing')
                ORDER BY name
                """;
            var settings = new List<string>();
            await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                settings.Add(reader.GetString(0));
            }

            Settings = string.Join(", ", settings);
        }

        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit'), pg_backend_pid()";
            await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
            await reader.ReadAsync().ConfigureAwait(false);
            Version = reader.GetString(0);
            if (reader.GetString(1) != "on" || reader.GetString(2) != "on")
            {
                throw new InvalidOperationException($"The PostgreSQL server runs with fsync={reader.GetString(1)}, synchronous_commit={reader.GetString(2)}: the bench measures durable commits only.");
            }

            // The backend serving us is a child of the postmaster, if the server runs on this machine.
            PostmasterPid = _cluster?.PostmasterPid() ?? ProcStats.ParentPostgres(reader.GetInt32(3));
        }
    }

    private static BenchPostgres UseExisting(string connectionString)
    {
        var given = new NpgsqlConnectionStringBuilder(connectionString);
        var admin = new NpgsqlConnectionStringBuilder(given.ConnectionString);
        if (string.IsNullOrEmpty(admin.Database))
        {
            admin.Database = "postgres";
        }

        var shown = new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Password = null };
        return new BenchPostgres(
            () => admin.ConnectionString,
            database => new NpgsqlConnectionStringBuilder(given.ConnectionString) { Database = database }.ConnectionString,
            null,
            $"the existing server in {ConnectionVariable} ({shown.Host}:{shown.Port})");
    }

    private static BenchPostgres StartCluster(TextWriter progress)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException($"A throwaway cluster needs initdb and pg_ctl on Linux or macOS; set {ConnectionVariable} instead.");
        }

        var tools = Tools.Find();
        var root = Path.Combine(Path.GetTempPath(), "inventory-plugin-bench");
        ShareLikeTmp(Directory.CreateDirectory(root));
        ReapOrphans(root, tools, progress);

        var cluster = new Cluster(Path.Combine(root, "pg-" + Guid.NewGuid().ToString("N")), tools);
        Directory.CreateDirectory(cluster.Folder);
        // Written first, so a later bench can tell this folder is orphaned if this process dies.
        File.WriteAllText(Path.Combine(cluster.Folder, "owner"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        // The admin connection string is read lazily: the port is known only once the cluster runs.
        var server = new BenchPostgres(() => cluster.ConnectionStringFor("postgres"), cluster.ConnectionStringFor, cluster, "");
        // pg_ctl daemonizes the postmaster: it would outlive an interrupted bench otherwise.
        server._stopOnExit = ExitCleanup.Register(server.Stop);

        var stopwatch = Stopwatch.StartNew();
        try
        {
            cluster.Start();
        }
        catch
        {
            server.Stop();
            throw;
        }

        progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{DateTime.Now:HH:mm:ss}] PostgreSQL: throwaway cluster on 127.0.0.1:{cluster.Port} ({cluster.Folder}) started in {stopwatch.ElapsedMilliseconds} ms"));
        server.Description = $"a throwaway cluster (initdb, pg_ctl) in {cluster.Folder} ({ProcStats.FileSystemOf(cluster.Folder)}), TCP 127.0.0.1:{cluster.Port}";
        return server;
    }

    /// <summary>rwxrwxrwt: the postgres user must reach its cluster folder through this one.</summary>
    [UnsupportedOSPlatform("windows")]
    private static void ShareLikeTmp(DirectoryInfo root)
    {
        const UnixFileMode everyone = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute | UnixFileMode.StickyBit;
        if (root.UnixFileMode == everyone)
        {
            return;
        }

        try
        {
            root.UnixFileMode = everyone;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            // Another user's folder: initdb will say if it is not enough.
        }
    }

    /// <summary>Stops and deletes clusters of earlier benches whose process died before it could.</summary>
    private static void ReapOrphans(string root, Tools tools, TextWriter progress)
    {
        foreach (var directory in Directory.EnumerateDirectories(root, "pg-*"))
        {
            try
            {
                var owner = Path.Combine(directory, "owner");
                if (!File.Exists(owner)
                    || !int.TryParse(File.ReadAllText(owner), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                    || (pid != Environment.ProcessId && IsAlive(pid)))
                {
                    continue;
                }

                progress.WriteLine($"[{DateTime.Now:HH:mm:ss}] PostgreSQL: removing the cluster of an earlier bench that died ({directory})");
                new Cluster(directory, tools).Destroy();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not ours to delete, or being deleted by someone else.
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Where initdb and pg_ctl are, and whether they have to run as the postgres user.</summary>
    private sealed record Tools(string Initdb, string PgCtl, bool AsPostgres)
    {
        public static Tools Find()
        {
            var directory = FindBinDirectory()
                ?? throw new InvalidOperationException($"initdb is neither on PATH nor in /usr/lib/postgresql/*/bin (apt-get install postgresql), and {ConnectionVariable} is not set.");
            var pgCtl = Path.Combine(directory, "pg_ctl");
            if (!File.Exists(pgCtl))
            {
                throw new InvalidOperationException($"initdb is in {directory} but pg_ctl is not.");
            }

            // initdb and the postmaster refuse to run as root.
            var asPostgres = Environment.IsPrivilegedProcess;
            if (asPostgres)
            {
                var (exitCode, output) = Run("id", ["-u", OsUser], Path.GetTempPath(), ShortTimeout);
                if (exitCode != 0)
                {
                    throw new InvalidOperationException($"Running as root, and there is no '{OsUser}' OS user to run initdb and pg_ctl as: {output.Trim()}");
                }
            }

            return new Tools(Path.Combine(directory, "initdb"), pgCtl, asPostgres);
        }

        private static string? FindBinDirectory()
        {
            var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .FirstOrDefault(directory => File.Exists(Path.Combine(directory, "initdb")));
            if (onPath is not null)
            {
                return onPath;
            }

            const string debian = "/usr/lib/postgresql";
            return Directory.Exists(debian)
                ? Directory.EnumerateDirectories(debian)
                    .Select(version => Path.Combine(version, "bin"))
                    .Where(bin => File.Exists(Path.Combine(bin, "initdb")))
                    .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), NumberStyles.None, CultureInfo.InvariantCulture, out var major) ? major : -1)
                    .FirstOrDefault()
                : null;
        }

        public (int ExitCode, string Output) RunTool(string tool, IEnumerable<string> args, string workingDirectory, TimeSpan timeout) =>
            AsPostgres
                ? Run("runuser", ["-u", OsUser, "--", tool, .. args], workingDirectory, timeout)
                : Run(tool, args, workingDirectory, timeout);
    }

    /// <summary>A cluster folder: data/ (the cluster), log (the server's), the unix socket and owner (the bench's pid).</summary>
    private sealed class Cluster(string folder, Tools tools)
    {
        private const int StartAttempts = 3;

        public string Folder { get; } = folder;

        public int Port { get; private set; }

        private string DataDirectory => Path.Combine(Folder, "data");

        private string LogFile => Path.Combine(Folder, "log");

        /// <summary>TCP on loopback, as replicas reach a database server; Npgsql's default pool.</summary>
        public string ConnectionStringFor(string database) => string.Create(CultureInfo.InvariantCulture,
            $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database}");

        /// <summary>The first line of postmaster.pid, while the cluster runs.</summary>
        public int? PostmasterPid()
        {
            var file = Path.Combine(DataDirectory, "postmaster.pid");
            return File.Exists(file) && int.TryParse(File.ReadLines(file).FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }

        /// <summary>initdb, then pg_ctl start; throws with the server's log when either fails.</summary>
        public void Start()
        {
            if (tools.AsPostgres)
            {
                var (chownExit, chownOutput) = Run("chown", [OsUser, Folder], Folder, ShortTimeout);
                if (chownExit != 0)
                {
                    throw new InvalidOperationException($"chown {OsUser} {Folder} failed ({chownExit}): {chownOutput.Trim()}");
                }
            }

            // trust: a loopback-only cluster that lives for one bench. --no-sync only skips flushing the
            // empty cluster initdb writes; the server itself runs with fsync on.
            var (initExit, initOutput) = tools.RunTool(tools.Initdb,
                ["-D", DataDirectory, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"],
                Folder, InitdbTimeout);
            if (initExit != 0)
            {
                throw new InvalidOperationException($"initdb exited with {initExit}:\n{Tail(initOutput)}");
            }

            for (var attempt = 1; ; attempt++)
            {
                Port = FreePort();
                // Durability is not bought: fsync, synchronous_commit and full_page_writes on, said outright.
                // track_wal_io_timing: the report shows how long the WAL fsyncs take (two clock reads each).
                var options = string.Create(CultureInfo.InvariantCulture,
                    $"-p {Port} -k {Folder} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c full_page_writes=on -c max_connections=300 -c shared_buffers=128MB -c track_wal_io_timing=on");
                var (exitCode, output) = tools.RunTool(tools.PgCtl,
                    ["-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-o", options, "start"],
                    Folder, PgCtlTimeout);
                if (exitCode == 0)
                {
                    return;
                }

                var log = ReadLog();
                if (attempt == StartAttempts || !log.Contains("could not bind", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"pg_ctl start exited with {exitCode}:\n{Tail(output)}\nserver log ({LogFile}):\n{Tail(log)}");
                }
            }
        }

        /// <summary>pg_ctl stop -m fast, then delete the folder. Safe to call twice.</summary>
        public void Destroy()
        {
            try
            {
                if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
                {
                    var (exitCode, _) = tools.RunTool(tools.PgCtl, ["-D", DataDirectory, "-m", "fast", "-w", "-t", "30", "stop"], Folder, PgCtlTimeout);
                    if (exitCode != 0)
                    {
                        tools.RunTool(tools.PgCtl, ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], Folder, PgCtlTimeout);
                    }
                }
            }
            catch (Exception e) when (e is TimeoutException or Win32Exception or InvalidOperationException)
            {
                // Deleting the folder is still worth trying: the next bench reaps what is left.
            }

            for (var attempt = 0; attempt < 5 && Directory.Exists(Folder); attempt++)
            {
                try
                {
                    Directory.Delete(Folder, recursive: true);
                }
                catch (IOException)
                {
                    Thread.Sleep(100);
                }
            }
        }

        private string ReadLog()
        {
            try
            {
                return File.Exists(LogFile) ? File.ReadAllText(LogFile) : "(no log)";
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return $"(unreadable: {e.Message})";
            }
        }

        private static int FreePort()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            try
            {
                return ((IPEndPoint)listener.LocalEndpoint).Port;
            }
            finally
            {
                listener.Stop();
            }
        }

        private static string Tail(string text, int lines = 30)
        {
            var all = text.TrimEnd().Split('\n');
            return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
        }
    }

    /// <summary>Runs a program to its end and returns its exit code and everything it printed.</summary>
    private static (int ExitCode, string Output) Run(string program, IEnumerable<string> args, string workingDirectory, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(program)
        {
            // The postgres user may not be allowed into the bench's own working directory.
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                $"{program} {string.Join(' ', info.ArgumentList)} did not finish in {timeout.TotalSeconds} s"));
        }

        return (process.ExitCode, stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult());
    }
}
