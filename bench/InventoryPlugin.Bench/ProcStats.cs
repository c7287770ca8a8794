using System.Diagnostics;
using System.Globalization;

namespace InventoryPlugin.Bench;

/// <summary>CPU time of the machine, of this process and of the service, read at one instant.</summary>
/// <param name="MachineBusy">Seconds all cores spent neither idle nor waiting for I/O, since boot.</param>
/// <param name="ServiceThreads">Per thread of the service: its id, name and CPU seconds.</param>
public sealed record CpuSnapshot(
    long Timestamp,
    double MachineBusy,
    double MachineIoWait,
    double Bench,
    double Service,
    IReadOnlyDictionary<int, (string Name, double Cpu)> ServiceThreads,
    long BenchWriteBytes,
    long ServiceWriteBytes);

/// <summary>Reads /proc: what the bench reports about processes besides requests and latencies.</summary>
public static class ProcStats
{
    private const double TicksPerSecond = 100; // USER_HZ: 100 on every Linux the bench targets

    public static CpuSnapshot Take(int? servicePid) => new(
        Stopwatch.GetTimestamp(),
        MachineCpu().Busy,
        MachineCpu().IoWait,
        Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds,
        servicePid is { } pid ? ProcessCpu($"/proc/{pid}/stat") : 0,
        servicePid is { } id ? Threads(id) : new Dictionary<int, (string, double)>(),
        WriteBytes("/proc/self/io"),
        servicePid is { } writer ? WriteBytes($"/proc/{writer}/io") : 0);

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
