using System.Diagnostics;
using System.Globalization;

namespace InventoryPlugin.Bench;

/// <summary>The processes a window is measured on besides the bench itself: the service replicas and the database server.</summary>
/// <param name="ServicePids">The service processes (none for an in-process ceiling); their CPU is summed.</param>
/// <param name="PostmasterPid">A PostgreSQL server's postmaster on this machine: it and all its children are counted as database CPU.</param>
/// <param name="DatabaseCounters">Read at the window's start and end beside the CPU (e.g. PostgreSQL's pg_stat_wal); the report gets their growth per request.</param>
public sealed record ProcessesUnderTest(
    IReadOnlyList<int> ServicePids,
    int? PostmasterPid = null,
    Func<Task<IReadOnlyDictionary<string, double>>>? DatabaseCounters = null)
{
    public static ProcessesUnderTest None { get; } = new([]);

    public static ProcessesUnderTest Service(int? pid) => new(pid is { } p ? [p] : []);
}

/// <summary>CPU time of the machine, of this process and of the service, read at one instant.</summary>
/// <param name="MachineBusy">Seconds all cores spent neither idle nor waiting for I/O, since boot.</param>
/// <param name="Service">CPU seconds of the service processes, summed over replicas.</param>
/// <param name="ServiceThreads">Per thread of the service processes: its id, name and CPU seconds.</param>
public sealed record CpuSnapshot(
    long Timestamp,
    double MachineBusy,
    double MachineIoWait,
    double Bench,
    double Service,
    IReadOnlyDictionary<int, (string Name, double Cpu)> ServiceThreads,
    long BenchWriteBytes,
    long ServiceWriteBytes)
{
    /// <summary>CPU seconds of the PostgreSQL server's processes, NaN when there is none to measure.</summary>
    public double Database { get; init; } = double.NaN;
}

/// <summary>Reads /proc: what the bench reports about processes besides requests and latencies.</summary>
public static class ProcStats
{
    private const double TicksPerSecond = 100; // USER_HZ: 100 on every Linux the bench targets

    public static CpuSnapshot Take(ProcessesUnderTest targets)
    {
        var threads = new Dictionary<int, (string, double)>();
        foreach (var pid in targets.ServicePids)
        {
            foreach (var (tid, thread) in Threads(pid))
            {
                threads[tid] = thread;
            }
        }

        var database = targets.PostmasterPid is { } postmaster ? ServerCpu(postmaster) : double.NaN;
        return new CpuSnapshot(
            Stopwatch.GetTimestamp(),
            MachineCpu().Busy,
            MachineCpu().IoWait,
            Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds,
            targets.ServicePids.Sum(pid => ProcessCpu($"/proc/{pid}/stat")),
            threads,
            WriteBytes("/proc/self/io"),
            targets.ServicePids.Sum(pid => WriteBytes($"/proc/{pid}/io")))
        {
            Database = database,
        };
    }

    /// <summary>
    /// CPU seconds of a PostgreSQL server: the postmaster's own, those of the children it has already
    /// reaped (cutime and cstime), and those of every live child (backends, checkpointer, WAL writer,
    /// autovacuum...), found by their parent pid.
    /// </summary>
    /// <remarks>
    /// Not its write_bytes: on this kernel (6.x, large page-cache folios) rewriting the last 8 KiB WAL page
    /// after an fdatasync is counted as the whole folio, up to 2 MiB; pg_stat_wal says what was written.
    /// </remarks>
    public static double ServerCpu(int postmasterPid)
    {
        var fields = StatFields($"/proc/{postmasterPid}/stat");
        if (fields is null)
        {
            return double.NaN;
        }

        // utime, stime, cutime, cstime: fields 14 to 17 of stat.
        var ticks = Ticks(fields, 11) + Ticks(fields, 12) + Ticks(fields, 13) + Ticks(fields, 14);
        var parent = postmasterPid.ToString(CultureInfo.InvariantCulture);
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(directory);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]))
            {
                continue;
            }

            var child = StatFields(Path.Combine(directory, "stat"));
            if (child is not null && child[1] == parent)
            {
                ticks += Ticks(child, 11) + Ticks(child, 12);
            }
        }

        return ticks / TicksPerSecond;
    }

    /// <summary>
    /// The postmaster of a PostgreSQL backend, if that backend runs on this machine (the parent of a
    /// process named postgres whose parent is named postgres too); otherwise null.
    /// </summary>
    public static int? ParentPostgres(int backendPid)
    {
        try
        {
            if (File.ReadAllText($"/proc/{backendPid}/comm").Trim() != "postgres" || StatFields($"/proc/{backendPid}/stat") is not { } fields)
            {
                return null;
            }

            var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
            return File.ReadAllText($"/proc/{parent}/comm").Trim() == "postgres" ? parent : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Every replica's peak resident set: the largest one.</summary>
    public static double PeakRssMegabytes(IEnumerable<int> pids) => pids.Select(pid => StatusMegabytes(pid, "VmHWM")).DefaultIfEmpty(double.NaN).Max();

    /// <summary>Bytes the process caused to be written to storage (page-cache writeback included).</summary>
    private static long WriteBytes(string ioPath)
    {
        try
        {
            var line = File.ReadLines(ioPath).FirstOrDefault(l => l.StartsWith("write_bytes:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.AsSpan("write_bytes:".Length).Trim(), CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>A status field in kB (VmHWM: peak resident set; VmRSS: current), as MB.</summary>
    public static double StatusMegabytes(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                var kilobytes = long.Parse(line.AsSpan(field.Length + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                return kilobytes / 1024.0;
            }
        }

        return double.NaN;
    }

    public static string MachineDescription()
    {
        var model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memory = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var gigabytes = long.Parse(memory["MemTotal:".Length..].Trim().TrimEnd('B').TrimEnd('k').Trim(), CultureInfo.InvariantCulture) / 1024.0 / 1024.0;
        return string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessorCount} cores ({model}), {gigabytes:0} GiB RAM, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
    }

    /// <summary>The file system a path is on, from the longest matching mount point.</summary>
    public static string FileSystemOf(string path)
    {
        var best = ("?", "?", "");
        foreach (var line in File.ReadLines("/proc/mounts"))
        {
            var parts = line.Split(' ');
            if (parts.Length > 2 && path.StartsWith(parts[1], StringComparison.Ordinal) && parts[1].Length > best.Item3.Length)
            {
                best = (parts[0], parts[2], parts[1]);
            }
        }

        return $"{best.Item2} on {best.Item1}";
    }

    /// <summary>Cores the whole machine kept busy over <paramref name="interval"/>.</summary>
    public static async Task<double> MachineBusyCoresAsync(TimeSpan interval)
    {
        var before = MachineCpu().Busy;
        var started = Stopwatch.GetTimestamp();
        await Task.Delay(interval).ConfigureAwait(false);
        return (MachineCpu().Busy - before) / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static (double Busy, double IoWait) MachineCpu()
    {
        // cpu  user nice system idle iowait irq softirq steal ...
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var total = fields.Take(8).Sum();
        return ((total - fields[3] - fields[4]) / TicksPerSecond, fields[4] / TicksPerSecond);
    }

    private static double ProcessCpu(string statPath)
    {
        try
        {
            var text = File.ReadAllText(statPath);
            // Fields after the parenthesised name: state is field 3, utime field 14, stime field 15.
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (IOException)
        {
            return 0; // the thread or process is gone
        }
    }

    /// <summary>The fields of a stat file after the parenthesised name (index 0 is the state, 1 the parent pid), or null when the process is gone.</summary>
    private static string[]? StatFields(string statPath)
    {
        try
        {
            var text = File.ReadAllText(statPath);
            return text[(text.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long Ticks(string[] fields, int index) => long.Parse(fields[index], CultureInfo.InvariantCulture);

    private static Dictionary<int, (string Name, double Cpu)> Threads(int pid)
    {
        var threads = new Dictionary<int, (string, double)>();
        try
        {
            foreach (var directory in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                if (int.TryParse(Path.GetFileName(directory), CultureInfo.InvariantCulture, out var tid))
                {
                    var name = File.Exists(Path.Combine(directory, "comm")) ? File.ReadAllText(Path.Combine(directory, "comm")).Trim() : "?";
                    threads[tid] = (name, ProcessCpu(Path.Combine(directory, "stat")));
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // A thread ended while being listed: the snapshot simply lacks it.
        }

        return threads;
    }
}
