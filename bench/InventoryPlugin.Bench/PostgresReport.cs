using System.Globalization;
using System.Text;

namespace InventoryPlugin.Bench;

/// <summary>One run of one scenario against PostgreSQL: N service replicas on one database, or in-process (the ceiling, 0 replicas).</summary>
public sealed record PostgresRunRecord(Scenario Scenario, int Replicas, int Connections, int Run, Measurement Measurement)
{
    public bool IsCeiling => Replicas == 0;
}

/// <summary>The markdown of the PostgreSQL rows: medians with the service's and the database's CPU per request, and every run.</summary>
public sealed class PostgresReport(BenchOptions options, BenchPostgres server, IReadOnlyList<PostgresRunRecord> runs, IReadOnlyList<string> notes)
{
    private const double TargetSpreadRate = 10_000;
    private const double TargetSpreadP99Ms = 20;
    private const double TargetHotRate = 5_000;
    private const double TargetRssMb = 150;
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        Line(md, $"# InventoryPlugin benchmark: PostgreSQL store{(options.Quick ? " (quick smoke run: not for comparison)" : "")}");
        Line(md, "");
        Line(md, $"- Date: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Line(md, $"- Machine: {ProcStats.MachineDescription()}");
        Line(md, $"- Database: PostgreSQL {server.Version}, {server.Description}, on the same 2 cores; {server.Settings}. A fresh database per run (CREATE DATABASE, then CHECKPOINT, dropped after the run).");
        Line(md, $"- DB CPU: {(server.PostmasterPid is null ? "not measured (the server's processes are not on this machine)" : "utime + stime from /proc of the postmaster and every child of it (backends, WAL writer, checkpointer, autovacuum; children that exited meanwhile through the postmaster's cutime + cstime) over the measured window")}, divided by the requests completed in it; the service's the same way, summed over replicas.");
        Line(md, $"- Settings: {options.Runs} run(s) of every row, each {options.DurationSeconds:0.#} s measured after {options.WarmupSeconds:0.#} s of warm-up (ceiling: {options.CeilingDurationSeconds:0.#} s after {options.CeilingWarmupSeconds:0.#} s); every figure is the median over the runs, taken per column.");
        Line(md, $"- Service: Release build of src/InventoryPlugin started as `dotnet InventoryPlugin.dll` (ASPNETCORE_ENVIRONMENT=Production), Storage:Provider=Postgres, Storage:ConnectionString `Host=127.0.0.1;Port=…;Username=postgres;Database=…` (TCP; no pool size in it, so the service's default of at most {InventoryPlugin.Storage.Postgres.PostgresDatabase.DefaultMaxPoolSize} connections per replica); {ServiceUnderTest.SettingsNote(options)}. N replicas: N processes on 127.0.0.1 ports of their own, on the one database, started one after the other (the first migrates); the stock is seeded through the first.");
        Line(md, "- Load: this process on the same 2 cores, one HttpClient per replica (HTTP/1.1 keep-alive, MaxConnectionsPerServer = connections / replicas), one worker per connection sending back to back, worker w to replica w mod N (half each with 2); every request pre-signed RS256 (2048-bit) before the window, each with its own requestId and orderId.");
        Line(md, "- Ceiling: the same StockChange transactions (parsed beforehand from the same requests) on the service's own PostgresStockStore in this process, from 64 concurrent callers: no HTTP, no JWT; its \"service CPU\" is this process's, the store's client side. Unlike SQLite's it is no upper bound: the database server does most of the work either way, and this process shares the 2 cores with it after only the short ceiling warm-up.");
        Line(md, "- Peak RSS: VmHWM of each replica; the table shows the largest replica's.");
        Line(md, "- Disk: what the database wrote is taken from pg_stat_wal (table below), not from /proc/<pid>/io write_bytes: on this kernel (6.x, large page-cache folios) rewriting the open 8 KiB WAL page after each fdatasync counts as up to 2 MiB there. The CHECKPOINT before each run means no checkpoint falls in a window (the next timed one would be 5 min later).");
        Line(md, "- Noise: the machine is shared; other engineers' builds and tests may run at the same time. The CPU profile below shows how much of the machine they used during each window (\"other\").");
        foreach (var note in notes)
        {
            Line(md, $"- {note}");
        }

        Line(md, "");
        Line(md, "| Scenario | Connections | req/s | p50 ms | p99 ms | max ms | peak RSS MB (per replica, max) | service CPU µs/request (all replicas) | DB CPU µs/request |");
        Line(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var scenario in Selected())
        {
            foreach (var replicas in options.Replicas)
            {
                foreach (var connections in options.Connections)
                {
                    var rows = Rows(scenario, replicas, connections);
                    if (rows.Count == 0)
                    {
                        continue;
                    }

                    Line(md, $"| ({scenario.Id}) {scenario.Title} — postgres, {Replicas(replicas)} | {connections} | {Median(rows.Select(r => r.RequestsPerSecond)):N0} | {Median(rows.Select(r => r.P50Ms)):0.0} | {Median(rows.Select(r => r.P99Ms)):0.0} | {Median(rows.Select(r => r.MaxMs)):0} | {Median(rows.Select(r => r.PeakRssMb ?? double.NaN)):0} | {Median(rows.Select(r => r.Profile!.ServiceMicrosecondsPerRequest)):0} | {Micros(rows.Select(r => r.Profile!.DatabaseMicrosecondsPerRequest))} |");
                }
            }

            var ceiling = Rows(scenario, 0, Report.CeilingCallers);
            if (ceiling.Count > 0)
            {
                Line(md, $"| ceiling ({scenario.Id}) postgres: same transactions in-process | {Report.CeilingCallers} callers | {Median(ceiling.Select(r => r.RequestsPerSecond)):N0} | {Median(ceiling.Select(r => r.P50Ms)):0.0} | {Median(ceiling.Select(r => r.P99Ms)):0.0} | {Median(ceiling.Select(r => r.MaxMs)):0} | – | {Median(ceiling.Select(r => r.Profile!.ServiceMicrosecondsPerRequest)):0} (in-process) | {Micros(ceiling.Select(r => r.Profile!.DatabaseMicrosecondsPerRequest))} |");
            }
        }

        Line(md, "");
        WriteTargets(md);
        WriteProfile(md);
        WriteWal(md);
        WriteRuns(md);
        return md.ToString();
    }

    private void WriteTargets(StringBuilder md)
    {
        if (!options.Connections.Contains(64))
        {
            return;
        }

        Line(md, "## Targets (64 connections)");
        Line(md, "");
        foreach (var replicas in options.Replicas)
        {
            var judged = new List<string>();
            if (Find("a") is { } a && Rows(a, replicas, 64) is { Count: > 0 } spread)
            {
                var rate = Median(spread.Select(r => r.RequestsPerSecond));
                var p99 = Median(spread.Select(r => r.P99Ms));
                judged.Add($"(a) ≥ {TargetSpreadRate:N0} req/s with p99 ≤ {TargetSpreadP99Ms} ms: {rate:N0} req/s, p99 {p99:0.0} ms → **{(rate >= TargetSpreadRate && p99 <= TargetSpreadP99Ms ? "met" : "not met")}**");
            }

            if (Find("b") is { } b && Rows(b, replicas, 64) is { Count: > 0 } hot)
            {
                var rate = Median(hot.Select(r => r.RequestsPerSecond));
                judged.Add($"(b) ≥ {TargetHotRate:N0} req/s: {rate:N0} req/s → **{(rate >= TargetHotRate ? "met" : "not met")}**");
            }

            var rss = runs.Where(r => r.Replicas == replicas && r.Measurement.PeakRssMb is not null).Select(r => r.Measurement.PeakRssMb!.Value).DefaultIfEmpty(double.NaN).Max();
            judged.Add($"peak RSS ≤ {TargetRssMb} MB per replica in every run: highest {rss:0} MB → **{(rss <= TargetRssMb ? "met" : "not met")}**");
            Line(md, $"- {Replicas(replicas)}: {string.Join("; ", judged)}");
        }

        Line(md, "");
    }

    private void WriteProfile(StringBuilder md)
    {
        Line(md, "## Where the time goes (medians; CPU in cores, i.e. CPU-seconds per second, of 2)");
        Line(md, "");
        Line(md, "| Scenario | Replicas | Connections | service CPU (all replicas) | service CPU µs/request | DB CPU | DB CPU µs/request | busiest service thread | load generator CPU | other processes | I/O wait | answers 200 / 428 / other (all runs) |");
        Line(md, "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|");
        foreach (var scenario in Selected())
        {
            foreach (var (replicas, connections) in options.Replicas.SelectMany(r => options.Connections.Select(c => (r, c))).Append((0, Report.CeilingCallers)))
            {
                var rows = Rows(scenario, replicas, connections);
                if (rows.Count == 0)
                {
                    continue;
                }

                var profiles = rows.Select(r => r.Profile!).ToList();
                var busiest = profiles.GroupBy(p => p.BusiestThread).OrderByDescending(g => g.Count()).First().Key;
                var answers = $"{rows.Sum(r => r.Ok):N0} / {rows.Sum(r => r.Refused):N0} / {rows.Sum(r => r.Other):N0}";
                var database = $"{Cores(profiles.Select(p => p.DatabaseCores))} | {Micros(profiles.Select(p => p.DatabaseMicrosecondsPerRequest))}";
                Line(md, replicas == 0
                    ? $"| ceiling ({scenario.Id}) | in-process | {connections} callers | – | {Median(profiles.Select(p => p.ServiceMicrosecondsPerRequest)):0} (in-process) | {database} | – | {Median(profiles.Select(p => p.BenchCores)):0.00} (the store's client) | {Median(profiles.Select(p => p.OtherCores)):0.00} | {Median(profiles.Select(p => p.IoWaitCores)):0.00} | {answers} |"
                    : $"| ({scenario.Id}) | {replicas} | {connections} | {Median(profiles.Select(p => p.ServiceCores)):0.00} | {Median(profiles.Select(p => p.ServiceMicrosecondsPerRequest)):0} | {database} | {busiest} {Median(profiles.Select(p => p.BusiestThreadCores)):0.00} | {Median(profiles.Select(p => p.BenchCores)):0.00} | {Median(profiles.Select(p => p.OtherCores)):0.00} | {Median(profiles.Select(p => p.IoWaitCores)):0.00} | {answers} |");
            }
        }

        Line(md, "");
    }

    private void WriteWal(StringBuilder md)
    {
        Line(md, "## The database's WAL per request (pg_stat_wal; medians; approximate: backends publish about once a second)");
        Line(md, "");
        Line(md, "| Scenario | Replicas | Connections | WAL records | WAL KB | full-page images | WAL writes | WAL fsyncs | requests per fsync | ms per fsync |");
        Line(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var scenario in Selected())
        {
            foreach (var (replicas, connections) in options.Replicas.SelectMany(r => options.Connections.Select(c => (r, c))).Append((0, Report.CeilingCallers)))
            {
                var counters = Rows(scenario, replicas, connections).Select(r => r.DatabaseCountersPerRequest).OfType<IReadOnlyDictionary<string, double>>().ToList();
                if (counters.Count == 0)
                {
                    continue;
                }

                double Of(string name) => Median(counters.Select(c => c.GetValueOrDefault(name, double.NaN)));
                var syncs = Of(BenchPostgres.WalSyncs);
                var syncMs = server.TimesWalIo ? Median(counters.Select(c => c[BenchPostgres.WalSyncMs] / c[BenchPostgres.WalSyncs])).ToString("0.00", Invariant) : "–";
                var name = replicas == 0 ? $"ceiling ({scenario.Id}) | in-process | {connections} callers" : $"({scenario.Id}) | {replicas} | {connections}";
                Line(md, $"| {name} | {Of(BenchPostgres.WalRecords):0.0} | {Of(BenchPostgres.WalBytes) / 1024:0.0} | {Of(BenchPostgres.WalFullPageImages):0.00} | {Of(BenchPostgres.WalWrites):0.00} | {syncs:0.00} | {1 / syncs:0.0} | {syncMs} |");
            }
        }

        Line(md, "");
    }

    private void WriteRuns(StringBuilder md)
    {
        Line(md, "## Every run");
        Line(md, "");
        Line(md, "| Scenario | Replicas | Connections | Run | req/s | p50 ms | p99 ms | max ms | peak RSS MB | service CPU µs/req | DB CPU µs/req | window s | other CPU | note |");
        Line(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var run in runs.OrderBy(r => r.Scenario.Id, StringComparer.Ordinal).ThenBy(r => r.IsCeiling).ThenBy(r => r.Replicas).ThenBy(r => r.Connections).ThenBy(r => r.Run))
        {
            var m = run.Measurement;
            var name = run.IsCeiling ? $"ceiling ({run.Scenario.Id})" : $"({run.Scenario.Id})";
            var rss = m.PeakRssMb is { } mb ? mb.ToString("0", Invariant) : "–";
            var note = m.PoolExhausted ? "pre-signed pool ran out: window cut short" : "";
            Line(md, $"| {name} | {(run.IsCeiling ? "in-process" : run.Replicas.ToString(Invariant))} | {run.Connections} | {run.Run} | {m.RequestsPerSecond:N0} | {m.P50Ms:0.0} | {m.P99Ms:0.0} | {m.MaxMs:0} | {rss} | {m.Profile?.ServiceMicrosecondsPerRequest:0} | {Micros([m.Profile?.DatabaseMicrosecondsPerRequest ?? double.NaN])} | {m.WindowSeconds:0.0} | {m.Profile?.OtherCores:0.00} | {note} |");
        }
    }

    private IEnumerable<Scenario> Selected() => options.PostgresScenarios.Select(id => Scenario.Find(id)!);

    private Scenario? Find(string id) => options.PostgresScenarios.Contains(id) ? Scenario.Find(id) : null;

    private List<Measurement> Rows(Scenario scenario, int replicas, int connections) =>
        runs.Where(r => r.Scenario == scenario && r.Replicas == replicas && r.Connections == connections).Select(r => r.Measurement).ToList();

    private static string Replicas(int count) => count == 1 ? "1 replica" : $"{count} replicas";

    private static double Median(IEnumerable<double> values) => Report.Median(values);

    private static string Micros(IEnumerable<double> values) => Median(values) is var median && double.IsNaN(median) ? "–" : median.ToString("0", Invariant);

    private static string Cores(IEnumerable<double> values) => Median(values) is var median && double.IsNaN(median) ? "–" : median.ToString("0.00", Invariant);

    private static void Line(StringBuilder md, string text) => md.Append(text).Append('\n');
}
