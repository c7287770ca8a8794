using System.Globalization;
using System.Text;

namespace InventoryPlugin.Bench;

/// <summary>One run of one scenario at one concurrency, against the service or in-process (the ceiling).</summary>
public sealed record RunRecord(Scenario Scenario, int Connections, int Run, bool IsCeiling, Measurement Measurement);

/// <summary>The markdown the bench prints and writes: medians, targets, the CPU profile and every run.</summary>
public sealed class Report(BenchOptions options, IReadOnlyList<RunRecord> runs, IReadOnlyList<string> notes)
{
    public const int CeilingCallers = 64;
    private const double TargetSpreadRate = 10_000;
    private const double TargetSpreadP99Ms = 20;
    private const double TargetHotRate = 8_000;
    private const double TargetFiftyItemRate = 600;
    private const double TargetServiceToCeiling = 0.8;
    private const double TargetRssMb = 150;
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        Line(md, $"# InventoryPlugin benchmark{(options.Quick ? " (quick smoke run: not for comparison)" : "")}");
        Line(md, "");
        Line(md, $"- Date: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Line(md, $"- Machine: {ProcStats.MachineDescription()}");
        Line(md, $"- Database: a fresh SQLite file per run in {Path.GetTempPath()} ({ProcStats.FileSystemOf(Path.GetTempPath())}), WAL, synchronous=FULL");
        Line(md, $"- Settings: {options.Runs} run(s) of every row, each {options.DurationSeconds:0.#} s measured after {options.WarmupSeconds:0.#} s of warm-up (ceiling: {options.CeilingDurationSeconds:0.#} s after {options.CeilingWarmupSeconds:0.#} s); every figure is the median over the runs, taken per column.");
        Line(md, $"- Service: Release build of src/InventoryPlugin started as `dotnet InventoryPlugin.dll` (ASPNETCORE_ENVIRONMENT=Production) per run, on 127.0.0.1; {ServiceUnderTest.SettingsNote(options)}; Storage:MaxBatchSize {string.Join(", ", Selected().Select(s => $"{s.Id}: {s.MaxBatchSize}"))}.");
        Line(md, "- Load: this process on the same 2 cores, HttpClient (HTTP/1.1 keep-alive, MaxConnectionsPerServer = connections), one worker per connection sending back to back; every request pre-signed RS256 (2048-bit) before the window, each with its own requestId and orderId.");
        Line(md, "- Ceiling: the same StockChange transactions (parsed beforehand from the same requests) on the service's own StoreWriter + StockChangeStore in this process, from 64 concurrent callers: no HTTP, no JWT.");
        Line(md, "- Noise: the machine is shared; other engineers' builds and tests may run at the same time. The CPU profile below shows how much of the machine they used during each window (\"other\").");
        foreach (var note in notes)
        {
            Line(md, $"- {note}");
        }

        Line(md, "");
        Line(md, "| Scenario | Connections | req/s | p50 ms | p99 ms | max ms | peak RSS MB | service/ceiling |");
        Line(md, "|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var scenario in Selected())
        {
            var ceiling = Median(Rows(scenario, CeilingCallers, ceiling: true).Select(r => r.RequestsPerSecond));
            foreach (var connections in options.Connections)
            {
                var rows = Rows(scenario, connections, ceiling: false);
                if (rows.Count == 0)
                {
                    continue;
                }

                var rate = Median(rows.Select(r => r.RequestsPerSecond));
                Line(md, $"| ({scenario.Id}) {scenario.Title} | {connections} | {rate:N0} | {Median(rows.Select(r => r.P50Ms)):0.0} | {Median(rows.Select(r => r.P99Ms)):0.0} | {Median(rows.Select(r => r.MaxMs)):0} | {Median(rows.Select(r => r.PeakRssMb ?? double.NaN)):0} | {Ratio(rate, ceiling)} |");
            }

            var ceilingRows = Rows(scenario, CeilingCallers, ceiling: true);
            if (ceilingRows.Count > 0)
            {
                Line(md, $"| ceiling ({scenario.Id}): same transactions in-process | {CeilingCallers} callers | {ceiling:N0} | {Median(ceilingRows.Select(r => r.P50Ms)):0.0} | {Median(ceilingRows.Select(r => r.P99Ms)):0.0} | {Median(ceilingRows.Select(r => r.MaxMs)):0} | – | 1 |");
            }
        }

        Line(md, "");
        WriteTargets(md);
        WriteProfile(md);
        WriteRuns(md);
        return md.ToString();
    }

    private void WriteTargets(StringBuilder md)
    {
        Line(md, "## Targets (64 connections)");
        Line(md, "");
        var maxConnections = options.Connections.Max();
        if (Find("a") is { } a && Rows(a, 64, ceiling: false) is { Count: > 0 } spread)
        {
            var rate = Median(spread.Select(r => r.RequestsPerSecond));
            var p99 = Median(spread.Select(r => r.P99Ms));
            Line(md, $"- (a) ≥ {TargetSpreadRate:N0} req/s with p99 ≤ {TargetSpreadP99Ms} ms: {rate:N0} req/s, p99 {p99:0.0} ms → **{(rate >= TargetSpreadRate && p99 <= TargetSpreadP99Ms ? "met" : "not met")}**");
        }

        if (Find("b") is { } b && Rows(b, 64, ceiling: false) is { Count: > 0 } hot)
        {
            var rate = Median(hot.Select(r => r.RequestsPerSecond));
            Line(md, $"- (b) ≥ {TargetHotRate:N0} req/s: {rate:N0} req/s → **{(rate >= TargetHotRate ? "met" : "not met")}**");
        }

        if (Find("c") is { } c && Rows(c, 64, ceiling: false) is { Count: > 0 } fifty)
        {
            var rate = Median(fifty.Select(r => r.RequestsPerSecond));
            Line(md, $"- (c) ≥ {TargetFiftyItemRate:N0} req/s: {rate:N0} req/s → **{(rate >= TargetFiftyItemRate ? "met" : "not met")}**");
        }

        foreach (var scenario in Selected())
        {
            var service = Rows(scenario, 64, ceiling: false);
            var ceiling = Rows(scenario, CeilingCallers, ceiling: true);
            if (service.Count > 0 && ceiling.Count > 0)
            {
                var ratio = Median(service.Select(r => r.RequestsPerSecond)) / Median(ceiling.Select(r => r.RequestsPerSecond));
                Line(md, $"- ({scenario.Id}) service/ceiling ≥ {TargetServiceToCeiling:0.0}: {ratio:0.00} → **{(ratio >= TargetServiceToCeiling ? "met" : "not met")}**");
            }
        }

        // A ceiling-only run starts no service, so there is no RSS to judge.
        var serviceRss = runs.Where(r => !r.IsCeiling && r.Measurement.PeakRssMb is not null).Select(r => r.Measurement.PeakRssMb!.Value).ToList();
        if (serviceRss.Count > 0)
        {
            var rss = serviceRss.Max();
            Line(md, $"- Peak RSS ≤ {TargetRssMb} MB in every run: highest {rss:0} MB → **{(rss <= TargetRssMb ? "met" : "not met")}**");
        }

        if (maxConnections < 64)
        {
            Line(md, "- (no run at 64 connections: targets not judged)");
        }

        Line(md, "");
    }

    private void WriteProfile(StringBuilder md)
    {
        Line(md, "## Where the time goes (medians; CPU in cores, i.e. CPU-seconds per second, of 2)");
        Line(md, "");
        Line(md, "| Scenario | Connections | service CPU | service CPU µs/request | busiest service thread | load generator CPU | other processes | I/O wait | disk KB written/request | answers 200 / 428 / other (all runs) |");
        Line(md, "|---|---:|---:|---:|---|---:|---:|---:|---:|---|");
        foreach (var scenario in Selected())
        {
            foreach (var connections in options.Connections.Append(CeilingCallers).Distinct())
            {
                foreach (var ceiling in new[] { false, true })
                {
                    var rows = Rows(scenario, connections, ceiling);
                    if (rows.Count == 0 || (ceiling && connections != CeilingCallers))
                    {
                        continue;
                    }

                    var profiles = rows.Select(r => r.Profile!).ToList();
                    var busiest = profiles.GroupBy(p => p.BusiestThread).OrderByDescending(g => g.Count()).First().Key;
                    var answers = $"{rows.Sum(r => r.Ok):N0} / {rows.Sum(r => r.Refused):N0} / {rows.Sum(r => r.Other):N0}";
                    Line(md, ceiling
                        ? $"| ceiling ({scenario.Id}) | {connections} callers | – | {Median(profiles.Select(p => p.ServiceMicrosecondsPerRequest)):0} (in-process) | – | {Median(profiles.Select(p => p.BenchCores)):0.00} (the store itself) | {Median(profiles.Select(p => p.OtherCores)):0.00} | {Median(profiles.Select(p => p.IoWaitCores)):0.00} | {Median(profiles.Select(p => p.DiskKilobytesPerRequest)):0.0} | {answers} |"
                        : $"| ({scenario.Id}) | {connections} | {Median(profiles.Select(p => p.ServiceCores)):0.00} | {Median(profiles.Select(p => p.ServiceMicrosecondsPerRequest)):0} | {busiest} {Median(profiles.Select(p => p.BusiestThreadCores)):0.00} | {Median(profiles.Select(p => p.BenchCores)):0.00} | {Median(profiles.Select(p => p.OtherCores)):0.00} | {Median(profiles.Select(p => p.IoWaitCores)):0.00} | {Median(profiles.Select(p => p.DiskKilobytesPerRequest)):0.0} | {answers} |");
                }
            }
        }

        Line(md, "");
    }

    private void WriteRuns(StringBuilder md)
    {
        Line(md, "## Every run");
        Line(md, "");
        Line(md, "| Scenario | Connections | Run | req/s | p50 ms | p99 ms | max ms | peak RSS MB | window s | other CPU | note |");
        Line(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var run in runs.OrderBy(r => r.Scenario.Id, StringComparer.Ordinal).ThenBy(r => r.IsCeiling).ThenBy(r => r.Connections).ThenBy(r => r.Run))
        {
            var m = run.Measurement;
            var name = run.IsCeiling ? $"ceiling ({run.Scenario.Id})" : $"({run.Scenario.Id})";
            var rss = m.PeakRssMb is { } mb ? mb.ToString("0", Invariant) : "–";
            var note = m.PoolExhausted ? "pre-signed pool ran out: window cut short" : "";
            Line(md, $"| {name} | {run.Connections} | {run.Run} | {m.RequestsPerSecond:N0} | {m.P50Ms:0.0} | {m.P99Ms:0.0} | {m.MaxMs:0} | {rss} | {m.WindowSeconds:0.0} | {m.Profile?.OtherCores:0.00} | {note} |");
        }
    }

    private IEnumerable<Scenario> Selected() => options.Scenarios.Select(id => Scenario.Find(id)!);

    private Scenario? Find(string id) => options.Scenarios.Contains(id) ? Scenario.Find(id) : null;

    private List<Measurement> Rows(Scenario scenario, int connections, bool ceiling) =>
        runs.Where(r => r.Scenario == scenario && r.Connections == connections && r.IsCeiling == ceiling).Select(r => r.Measurement).ToList();

    private static string Ratio(double service, double ceiling) =>
        double.IsNaN(ceiling) || ceiling <= 0 ? "–" : (service / ceiling).ToString("0.00", Invariant);

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToList();
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    // The project builds with InvariantGlobalization: interpolated numbers are culture-invariant.
    private static void Line(StringBuilder md, string text) => md.Append(text).Append('\n');
}
