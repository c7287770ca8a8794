using System.Diagnostics;
using System.Net;

namespace InventoryPlugin.Bench;

/// <summary>Where the CPU went during a measured window, in cores (CPU seconds per second).</summary>
/// <param name="OtherCores">Busy CPU of the machine that was neither the service nor the bench: other engineers' builds and tests.</param>
/// <param name="BusiestThread">The service thread that used the most CPU: with group commit, usually the writer.</param>
/// <param name="DiskKilobytesPerRequest">What the store wrote to disk per request (WAL and checkpoints).</param>
public sealed record CpuProfile(
    double ServiceCores,
    double ServiceMicrosecondsPerRequest,
    double BenchCores,
    double OtherCores,
    double IoWaitCores,
    string BusiestThread,
    double BusiestThreadCores,
    double DiskKilobytesPerRequest)
{
    /// <summary>The PostgreSQL server's processes, in cores; NaN without one.</summary>
    public double DatabaseCores { get; init; } = double.NaN;

    public double DatabaseMicrosecondsPerRequest { get; init; } = double.NaN;
}

/// <summary>One measured window of one run: throughput, latency and answers.</summary>
/// <param name="Ok">Answers 200 among all requests sent in the run (warm-up included).</param>
/// <param name="Refused">Answers 428.</param>
/// <param name="Other">Anything else, transport failures included: should be 0.</param>
/// <param name="PoolExhausted">The pre-signed pool ran out before the window's end; the window was cut there.</param>
/// <param name="Profile">Where the CPU went; <see cref="DatabaseCountersPerRequest"/>: how the database's own counters grew per request.</param>
public sealed record Measurement(
    double RequestsPerSecond,
    double P50Ms,
    double P99Ms,
    double MaxMs,
    long Ok,
    long Refused,
    long Other,
    double WindowSeconds,
    bool PoolExhausted,
    CpuProfile? Profile)
{
    public double? PeakRssMb { get; init; }

    public IReadOnlyDictionary<string, double>? DatabaseCountersPerRequest { get; init; }
}

/// <summary>
/// Drives a sender from N concurrent workers, each sending its next request as soon as the last is
/// answered; the sender is told which worker (0 to N-1) sends request i. Request i of the pool is
/// sent at most once. Latencies go into preallocated arrays; the first <c>warmup</c> is sent but not measured.
/// </summary>
public static class LoadDriver
{
    public static async Task<Measurement> DriveAsync(
        int poolSize, int concurrency, TimeSpan warmup, TimeSpan duration, Func<int, int, Task<int>> send, ProcessesUnderTest targets)
    {
        var starts = new long[poolSize];
        var ends = new long[poolSize];
        var statuses = new short[poolSize];
        var next = -1;
        var origin = Stopwatch.GetTimestamp();
        var windowStart = origin + Ticks(warmup);
        var windowEnd = windowStart + Ticks(duration);
        using var allSent = new CancellationTokenSource();

        var sampler = Task.Run(async () =>
        {
            await DelayUntilAsync(windowStart, allSent.Token).ConfigureAwait(false);
            var first = ProcStats.Take(targets);
            var firstCounters = targets.DatabaseCounters is { } read ? await read().ConfigureAwait(false) : null;
            await DelayUntilAsync(windowEnd, allSent.Token).ConfigureAwait(false);
            var last = ProcStats.Take(targets);
            var lastCounters = targets.DatabaseCounters is { } again ? await again().ConfigureAwait(false) : null;
            return (first, last, firstCounters, lastCounters);
        });

        var workers = new Task[concurrency];
        for (var w = 0; w < concurrency; w++)
        {
            var worker = w;
            workers[w] = Task.Run(async () =>
            {
                while (true)
                {
                    var i = Interlocked.Increment(ref next);
                    if (i >= poolSize)
                    {
                        return;
                    }

                    var started = Stopwatch.GetTimestamp();
                    if (started >= windowEnd)
                    {
                        return;
                    }

                    int status;
                    try
                    {
                        status = await send(worker, i).ConfigureAwait(false);
                    }
                    catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or IOException or InvalidOperationException)
                    {
                        status = 0;
                    }

                    starts[i] = started;
                    ends[i] = Stopwatch.GetTimestamp();
                    statuses[i] = (short)status;
                }
            });
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
        var poolExhausted = Volatile.Read(ref next) >= poolSize && Stopwatch.GetTimestamp() < windowEnd;
        await allSent.CancelAsync().ConfigureAwait(false);
        var (before, after, countersBefore, countersAfter) = await sampler.ConfigureAwait(false);

        var sent = Math.Min(poolSize, Volatile.Read(ref next));
        var lastEnd = 0L;
        long ok = 0, refused = 0, other = 0, completed = 0;
        var latencies = new List<long>(sent);
        for (var i = 0; i < sent; i++)
        {
            if (ends[i] == 0)
            {
                continue; // claimed after the window closed, never sent
            }

            switch (statuses[i])
            {
                case (short)HttpStatusCode.OK:
                    ok++;
                    break;
                case 428:
                    refused++;
                    break;
                default:
                    other++;
                    break;
            }

            lastEnd = Math.Max(lastEnd, ends[i]);
            if (ends[i] >= windowStart && ends[i] <= windowEnd)
            {
                completed++;
            }

            if (starts[i] >= windowStart)
            {
                latencies.Add(ends[i] - starts[i]);
            }
        }

        var measuredEnd = Math.Min(windowEnd, Math.Max(lastEnd, windowStart + 1));
        var window = Stopwatch.GetElapsedTime(windowStart, measuredEnd).TotalSeconds;
        latencies.Sort();
        var profile = Profile(before, after, completed, targets.ServicePids.Count > 0);
        return new Measurement(
            completed / window,
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.99),
            latencies.Count == 0 ? double.NaN : Milliseconds(latencies[^1]),
            ok,
            refused,
            other,
            window,
            poolExhausted,
            profile)
        {
            DatabaseCountersPerRequest = countersBefore is null || countersAfter is null
                ? null
                : countersAfter.ToDictionary(c => c.Key, c => (c.Value - countersBefore.GetValueOrDefault(c.Key)) / Math.Max(1, completed)),
        };
    }

    private static CpuProfile Profile(CpuSnapshot before, CpuSnapshot after, long completed, bool withService)
    {
        var seconds = Stopwatch.GetElapsedTime(before.Timestamp, after.Timestamp).TotalSeconds;
        var service = (after.Service - before.Service) / seconds;
        var bench = (after.Bench - before.Bench) / seconds;
        var machine = (after.MachineBusy - before.MachineBusy) / seconds;
        var database = (after.Database - before.Database) / seconds; // NaN without a database server to measure
        var busiest = ("-", 0.0);
        foreach (var (tid, (name, cpu)) in after.ServiceThreads)
        {
            var used = (cpu - (before.ServiceThreads.TryGetValue(tid, out var earlier) ? earlier.Cpu : 0)) / seconds;
            if (used > busiest.Item2)
            {
                busiest = (name, used);
            }
        }

        return new CpuProfile(
            service,
            withService && completed > 0 ? service * seconds / completed * 1e6 : bench * seconds / Math.Max(1, completed) * 1e6,
            bench,
            Math.Max(0, machine - service - bench - (double.IsNaN(database) ? 0 : database)),
            (after.MachineIoWait - before.MachineIoWait) / seconds,
            busiest.Item1,
            busiest.Item2,
            (withService ? after.ServiceWriteBytes - before.ServiceWriteBytes : after.BenchWriteBytes - before.BenchWriteBytes) / 1024.0 / Math.Max(1, completed))
        {
            DatabaseCores = database,
            DatabaseMicrosecondsPerRequest = database * seconds / Math.Max(1, completed) * 1e6,
        };
    }

    private static double Percentile(List<long> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : Milliseconds(sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)]);

    private static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private static async Task DelayUntilAsync(long timestamp, CancellationToken cancellationToken)
    {
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        if (remaining > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(remaining, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Every request was sent: measure now.
            }
        }
    }
}
