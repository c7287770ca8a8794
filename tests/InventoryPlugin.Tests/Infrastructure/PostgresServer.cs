using System.ComponentModel;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using Npgsql;

namespace InventoryPlugin.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL for the tests: a throwaway cluster in a temp folder, started on first use and
/// shared by the whole run, or an existing server named by <see cref="ConnectionVariable"/>. Every
/// caller gets a database of its own, so tests never see each other's rows.
/// </summary>
public static class PostgresServer
{
    /// <summary>Env var: a connection string to an existing server; when set, no cluster is started.</summary>
    public const string ConnectionVariable = "INVENTORY_TEST_POSTGRES";

    /// <summary>Env var: when "1", an unavailable PostgreSQL fails the test instead of skipping it (CI sets it).</summary>
    public const string RequireVariable = "INVENTORY_REQUIRE_POSTGRES";

    private const string OsUser = "postgres";

    // initdb is a few seconds and pg_ctl -w gives up by itself after 60 s; past these something hangs.
    private static readonly TimeSpan InitdbTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan PgCtlTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ShortTimeout = TimeSpan.FromSeconds(30);

    private static readonly object Gate = new();
    private static Task<Server>? _start;
    private static Cluster? _cluster;
    private static bool _exitHookRegistered;

    /// <summary>
    /// Creates a fresh, empty database (unique name) on the shared server and returns its Npgsql connection string.
    /// Starts the shared throwaway cluster on first use (thread-safe, once per test run). When PostgreSQL
    /// cannot be used the test is ignored, or failed when <see cref="RequireVariable"/> is "1".
    /// </summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        Task<Server> start;
        lock (Gate)
        {
            // Task.Run: the start blocks on child processes, and no test's context should carry it.
            start = _start ??= Task.Run(Start);
        }

        var server = await start;
        if (server.Failure is { } why)
        {
            SkipOrFail(why);
        }

        var name = "t_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(server.AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE \"{name}\"";
            await command.ExecuteNonQueryAsync();
        }

        return server.ConnectionStringFor(name);
    }

    /// <summary>Stops the throwaway cluster (if this process started one) and deletes its folder. Idempotent.</summary>
    public static void Stop()
    {
        Cluster? cluster;
        lock (Gate)
        {
            cluster = _cluster;
            _cluster = null;
            _start = null;
        }

        cluster?.Destroy();
    }

    [DoesNotReturn]
    private static void SkipOrFail(string why)
    {
        if (Environment.GetEnvironmentVariable(RequireVariable) == "1")
        {
            Assert.Fail($"PostgreSQL leg skipped: {why}\n(failed instead of skipped because {RequireVariable}=1)");
        }

        Assert.Ignore($"PostgreSQL leg skipped: {why}");
        throw new UnreachableException();
    }

    /// <summary>Never throws: a failure becomes the reason every later caller is skipped with, without a retry.</summary>
    private static Server Start()
    {
        try
        {
            var existing = Environment.GetEnvironmentVariable(ConnectionVariable);
            return string.IsNullOrWhiteSpace(existing) ? StartCluster() : UseExisting(existing);
        }
        catch (Exception e)
        {
            return Server.Unavailable($"{e.GetType().Name}: {e.Message}");
        }
    }

    private static Server UseExisting(string connectionString)
    {
        var given = new NpgsqlConnectionStringBuilder(connectionString);
        // CREATE DATABASE works from any database; without one, Npgsql would pick the user's own, which may not exist.
        var admin = new NpgsqlConnectionStringBuilder(given.ConnectionString);
        if (string.IsNullOrEmpty(admin.Database))
        {
            admin.Database = "postgres";
        }

        try
        {
            using var connection = new NpgsqlConnection(admin.ConnectionString);
            connection.Open();
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
        {
            var shown = new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Password = null };
            return Server.Unavailable($"cannot connect to the server in {ConnectionVariable} ({shown.ConnectionString}): {e.Message}");
        }

        return new Server(admin.ConnectionString, null, database =>
            new NpgsqlConnectionStringBuilder(given.ConnectionString) { Database = database }.ConnectionString);
    }

    private static Server StartCluster()
    {
        if (OperatingSystem.IsWindows())
        {
            return Server.Unavailable($"a throwaway cluster needs initdb and pg_ctl on Linux or macOS; on Windows set {ConnectionVariable}");
        }

        var tools = Tools.Find(out var missing);
        if (tools is null)
        {
            return Server.Unavailable(missing!);
        }

        var root = Path.Combine(Path.GetTempPath(), "inventory-plugin-tests");
        ShareLikeTmp(Directory.CreateDirectory(root));

        ReapOrphans(root, tools);

        var cluster = new Cluster(Path.Combine(root, "pg-" + Guid.NewGuid().ToString("N")), tools);
        Directory.CreateDirectory(cluster.Folder);
        // Written before anything runs, so a later run can tell this folder is orphaned if this process dies.
        File.WriteAllText(Path.Combine(cluster.Folder, "owner"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        lock (Gate)
        {
            _cluster = cluster;
            if (!_exitHookRegistered)
            {
                // OneTimeTearDown does not run when the run is aborted; the postmaster would outlive us otherwise.
                AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
                _exitHookRegistered = true;
            }
        }

        var stopwatch = Stopwatch.StartNew();
        string? failure;
        try
        {
            failure = cluster.Start();
        }
        catch (Exception e) when (e is TimeoutException or Win32Exception or IOException or InvalidOperationException)
        {
            failure = $"{e.Message}\nserver log ({cluster.LogFile}):\n{Cluster.Tail(cluster.ReadLog())}";
        }

        if (failure is not null)
        {
            // Not Stop(): that would forget the failure, and the next test would run initdb again.
            lock (Gate)
            {
                _cluster = null;
            }

            cluster.Destroy();
            return Server.Unavailable(failure);
        }

        TestContext.Progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"PostgreSQL: throwaway cluster on 127.0.0.1:{cluster.Port} ({cluster.Folder}) started in {stopwatch.ElapsedMilliseconds} ms"));
        return new Server(cluster.ConnectionStringFor("postgres"), null, cluster.ConnectionStringFor);
    }

    /// <summary>
    /// rwxrwxrwt, whatever the umask made of it: the postgres user must reach its cluster folder through
    /// this one, and every user's runs share it, each deleting only its own folders.
    /// </summary>
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
            // Another user's folder: what it allows is up to them, and initdb will say if it is not enough.
        }
    }

    /// <summary>Stops and deletes clusters of earlier runs whose test process died before it could.</summary>
    private static void ReapOrphans(string root, Tools tools)
    {
        foreach (var directory in Directory.EnumerateDirectories(root, "pg-*"))
        {
            try
            {
                var owner = Path.Combine(directory, "owner");
                if (!File.Exists(owner)
                    || !int.TryParse(File.ReadAllText(owner), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                    || IsAlive(pid))
                {
                    continue;
                }

                new Cluster(directory, tools).Destroy();
            }
            catch (IOException)
            {
                // Another run is reaping it at the same moment, or it is not ours to delete.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to delete.
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        if (pid == Environment.ProcessId)
        {
            // A reused pid: a folder under our pid that is not our current cluster is from a dead run.
            return false;
        }

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

    private sealed record Server(string AdminConnectionString, string? Failure, Func<string, string> ConnectionStringFor)
    {
        public static Server Unavailable(string why) => new("", why, _ => throw new InvalidOperationException(why));
    }

    /// <summary>Where initdb and pg_ctl are, and whether they have to run as the postgres user.</summary>
    private sealed record Tools(string Initdb, string PgCtl, bool AsPostgres)
    {
        public static Tools? Find(out string? missing)
        {
            var directory = FindBinDirectory();
            if (directory is null)
            {
                missing = "initdb is neither on PATH nor in /usr/lib/postgresql/*/bin (apt-get install postgresql)";
                return null;
            }

            var pgCtl = Path.Combine(directory, "pg_ctl");
            if (!File.Exists(pgCtl))
            {
                missing = $"initdb is in {directory} but pg_ctl is not";
                return null;
            }

            // initdb and the postmaster refuse to run as root.
            var asPostgres = Environment.IsPrivilegedProcess;
            if (asPostgres)
            {
                var (exitCode, output) = Run("id", ["-u", OsUser], Path.GetTempPath(), ShortTimeout);
                if (exitCode != 0)
                {
                    missing = $"running as root, and there is no '{OsUser}' OS user to run initdb and pg_ctl as (initdb refuses root): {output.Trim()}";
                    return null;
                }
            }

            missing = null;
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

            // Debian's packages keep the server binaries off PATH, one folder per major version: take the newest.
            const string debian = "/usr/lib/postgresql";
            return Directory.Exists(debian)
                ? Directory.EnumerateDirectories(debian)
                    .Select(version => Path.Combine(version, "bin"))
                    .Where(bin => File.Exists(Path.Combine(bin, "initdb")))
                    .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), NumberStyles.None, CultureInfo.InvariantCulture, out var major) ? major : -1)
                    .FirstOrDefault()
                : null;
        }

        /// <summary>Runs a PostgreSQL tool, as the postgres user when we are root.</summary>
        public (int ExitCode, string Output) RunTool(string tool, IEnumerable<string> args, string workingDirectory, TimeSpan timeout) =>
            AsPostgres
                ? Run("runuser", ["-u", OsUser, "--", tool, .. args], workingDirectory, timeout)
                : Run(tool, args, workingDirectory, timeout);
    }

    /// <summary>A cluster folder: data/ (the cluster), log (the server's), the unix socket and owner (our pid).</summary>
    private sealed class Cluster(string directory, Tools tools)
    {
        // A port taken between probing it and the postmaster binding it is retried on another one.
        private const int StartAttempts = 3;

        public string Folder { get; } = directory;

        public int Port { get; private set; }

        private string DataDirectory => Path.Combine(Folder, "data");

        public string LogFile => Path.Combine(Folder, "log");

        public string ConnectionStringFor(string database) => string.Create(CultureInfo.InvariantCulture,
            $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database}");

        /// <summary>initdb, then pg_ctl start; returns why it failed, or null.</summary>
        public string? Start()
        {
            if (tools.AsPostgres)
            {
                // The postgres user writes the data folder, the log and the unix socket in here.
                var (chownExit, chownOutput) = Run("chown", [OsUser, Folder], Folder, ShortTimeout);
                if (chownExit != 0)
                {
                    return $"chown {OsUser} {Folder} failed ({chownExit}): {chownOutput.Trim()}";
                }
            }

            // trust: a loopback-only cluster that lives for one run. C.UTF-8: the same sort order and
            // messages whatever the developer's LANG, and Unicode-aware lower()/upper().
            var (initExit, initOutput) = tools.RunTool(tools.Initdb,
                ["-D", DataDirectory, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"],
                Folder, InitdbTimeout);
            if (initExit != 0)
            {
                return $"initdb exited with {initExit}:\n{Tail(initOutput)}";
            }

            string? failure = null;
            for (var attempt = 1; attempt <= StartAttempts; attempt++)
            {
                Port = FreePort();
                // fsync and synchronous_commit stay on, said outright: the tests check durability claims.
                var options = string.Create(CultureInfo.InvariantCulture,
                    $"-p {Port} -k {Folder} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c full_page_writes=on -c max_connections=300 -c shared_buffers=128MB");
                var (exitCode, output) = tools.RunTool(tools.PgCtl,
                    ["-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-o", options, "start"],
                    Folder, PgCtlTimeout);
                if (exitCode == 0)
                {
                    return CheckDurability();
                }

                var log = ReadLog();
                failure = $"pg_ctl start exited with {exitCode}:\n{Tail(output)}\nserver log ({LogFile}):\n{Tail(log)}";
                if (!log.Contains("could not bind", StringComparison.Ordinal))
                {
                    break;
                }
            }

            return failure;
        }

        /// <summary>pg_ctl stop -m immediate (nothing to keep), then delete the folder. Safe to call twice.</summary>
        public void Destroy()
        {
            try
            {
                if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
                {
                    tools.RunTool(tools.PgCtl, ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], Folder, PgCtlTimeout);
                }
            }
            catch (Exception e) when (e is TimeoutException or Win32Exception or InvalidOperationException)
            {
                // Deleting the folder is still worth trying: the next run reaps what is left.
            }

            for (var attempt = 0; attempt < 5 && Directory.Exists(Folder); attempt++)
            {
                try
                {
                    Directory.Delete(Folder, recursive: true);
                }
                catch (IOException)
                {
                    // A backend that was still exiting wrote a file meanwhile.
                    Thread.Sleep(100);
                }
            }
        }

        /// <summary>Null when fsync, synchronous_commit and full_page_writes are on, as the durability tests assume.</summary>
        private string? CheckDurability()
        {
            try
            {
                using var connection = new NpgsqlConnection(ConnectionStringFor("postgres"));
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT name || '=' || setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes') AND setting <> 'on'";
                using var reader = command.ExecuteReader();
                var off = new List<string>();
                while (reader.Read())
                {
                    off.Add(reader.GetString(0));
                }

                return off.Count == 0 ? null : $"the cluster started with durability off: {string.Join(", ", off)}";
            }
            catch (NpgsqlException e)
            {
                return $"the cluster started but does not accept connections: {e.Message}\nserver log ({LogFile}):\n{Tail(ReadLog())}";
            }
        }

        public string ReadLog()
        {
            try
            {
                return File.Exists(LogFile) ? File.ReadAllText(LogFile) : "(no log)";
            }
            catch (IOException e)
            {
                return $"(unreadable: {e.Message})";
            }
            catch (UnauthorizedAccessException e)
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

        public static string Tail(string text, int lines = 30)
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
            // The postgres user may not be allowed into the test's own working directory.
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
