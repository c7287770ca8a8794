using System.Diagnostics;
using System.Net;
using InventoryPlugin.Bench;
using InventoryPlugin.Stock;

var root = RepositoryRoot();
var options = BenchOptions.Parse(args, root, Console.Error);
if (options is null)
{
    return 2;
}

var started = Stopwatch.GetTimestamp();
var scenarios = options.Scenarios.Select(id => Scenario.Find(id)!).ToList();
var warmup = TimeSpan.FromSeconds(options.WarmupSeconds);
var duration = TimeSpan.FromSeconds(options.DurationSeconds);
var ceilingWarmup = TimeSpan.FromSeconds(options.CeilingWarmupSeconds);
var ceilingDuration = TimeSpan.FromSeconds(options.CeilingDurationSeconds);
var notes = new List<string>();

if (options.Build && !options.CeilingOnly)
{
    Progress("Building src/InventoryPlugin (Release)...");
    await ServiceUnderTest.BuildAsync(root, Console.Out);
}

if (!options.CeilingOnly && !File.Exists(ServiceUnderTest.DllPath(root)))
{
    Console.Error.WriteLine($"No Release build at {ServiceUnderTest.DllPath(root)}; run without --no-build.");
    return 2;
}

using var identity = new BenchIdentity();
var runs = new List<RunRecord>();

// The ceiling needs no signatures: its requests are the same shapes, parsed beforehand.
var ceilingChanges = new Dictionary<PoolKind, StockChange[]>();
foreach (var group in scenarios.GroupBy(s => s.Pool))
{
    var count = (int)Math.Ceiling(group.Max(s => s.MaxRate) * (options.CeilingWarmupSeconds + options.CeilingDurationSeconds));
    Progress($"Preparing {count:N0} in-process requests for the {group.Key} ceiling...");
    var preparing = Stopwatch.GetTimestamp();
    ceilingChanges[group.Key] = Ceiling.Prepare(group.Key, count, identity.InstanceId);
    Progress($"  prepared in {Stopwatch.GetElapsedTime(preparing).TotalSeconds:0.0} s");
}

// Run 1 of every ceiling first: it bounds what the service can reach, so it sizes the signed pools.
foreach (var scenario in scenarios)
{
    await RunCeilingAsync(scenario, 1);
}

// Sign every request before any timed window: one pool per request shape, reused by every run
// (each run starts on a fresh database, so every requestId is still new to the service it meets).
var pools = new Dictionary<PoolKind, RequestPool>();
foreach (var group in options.CeilingOnly ? [] : scenarios.GroupBy(s => s.Pool))
{
    var rate = group.Max(s => Math.Min(s.MaxRate, 1.5 * CeilingRate(s) + 500));
    var count = (int)Math.Ceiling(rate * (options.WarmupSeconds + options.DurationSeconds));
    Progress($"Signing {count:N0} requests for the {group.Key} pool ({rate:N0}/s over {options.WarmupSeconds + options.DurationSeconds:0.#} s)...");
    var pool = RequestPool.Sign(group.Key, count, identity);
    pools[group.Key] = pool;
    Progress($"  signed in {pool.SigningTime.TotalSeconds:0.0} s ({count / pool.SigningTime.TotalSeconds:N0}/s)");
}

for (var run = 1; run <= options.Runs; run++)
{
    foreach (var scenario in scenarios)
    {
        foreach (var connections in options.CeilingOnly ? [] : options.Connections)
        {
            var measurement = await RunServiceAsync(scenario, connections);
            runs.Add(new RunRecord(scenario, connections, run, false, measurement));
            Progress($"run {run} ({scenario.Id}) {connections,3} connections: {Describe(measurement)}, peak RSS {measurement.PeakRssMb:0} MB");
        }

        if (run > 1)
        {
            await RunCeilingAsync(scenario, run);
        }
    }
}

notes.Add($"Pre-signed pools (sized from the ceiling): {string.Join(", ", pools.Values.Select(p => $"{p.Kind} {p.Count:N0} requests signed in {p.SigningTime.TotalSeconds:0} s"))}. Whole bench: {Stopwatch.GetElapsedTime(started).TotalMinutes:0.0} min.");
var markdown = new Report(options, runs, notes).ToMarkdown();
Console.WriteLine();
Console.WriteLine(markdown);
if (options.Output is { } output)
{
    Directory.CreateDirectory(Path.GetDirectoryName(output)!);
    await File.WriteAllTextAsync(output, markdown);
    Progress($"Written to {Path.GetRelativePath(root, output)}");
}

return runs.Any(r => r.Measurement.Other > 0) ? 1 : 0;

async Task RunCeilingAsync(Scenario scenario, int run)
{
    Collect();
    var ceiling = await Ceiling.RunAsync(scenario, ceilingChanges[scenario.Pool], identity.InstanceId, Report.CeilingCallers, ceilingWarmup, ceilingDuration);
    runs.Add(new RunRecord(scenario, Report.CeilingCallers, run, true, ceiling));
    Progress($"run {run} ceiling ({scenario.Id}) {Report.CeilingCallers} callers: {Describe(ceiling)}");
}

double CeilingRate(Scenario scenario) =>
    runs.Where(r => r.IsCeiling && r.Scenario == scenario).Select(r => r.Measurement.RequestsPerSecond).DefaultIfEmpty(scenario.MaxRate).Max();

async Task<Measurement> RunServiceAsync(Scenario scenario, int connections)
{
    Collect();
    await using var service = await ServiceUnderTest.StartAsync(root, identity, scenario.MaxBatchSize, options.ServiceLogLevel);
    await service.SeedAsync(identity, scenario.Seed());
    using var handler = new SocketsHttpHandler
    {
        MaxConnectionsPerServer = connections,
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
    };
    using var client = new HttpClient(handler) { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    var decrement = new Uri(service.BaseAddress, "/v1/decrement");
    var increment = new Uri(service.BaseAddress, "/v1/increment");
    var pool = pools[scenario.Pool];
    var measurement = await LoadDriver.DriveAsync(
        pool.Count,
        connections,
        warmup,
        duration,
        async i =>
        {
            var request = pool.Requests[i];
            using var message = new HttpRequestMessage(HttpMethod.Post, request.Operation == StockOperation.Decrement ? decrement : increment)
            {
                Content = new ByteArrayContent(request.Token),
                Version = HttpVersion.Version11,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            message.Content.Headers.TryAddWithoutValidation("Content-Type", "text/plain");
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead).ConfigureAwait(false);
            return (int)response.StatusCode;
        },
        service.Pid);
    measurement = measurement with { PeakRssMb = service.PeakRssMegabytes() };
    if (service.LogLineCount() > 0)
    {
        Progress($"  the service logged warnings or errors; last lines:\n{service.LogTail(10)}");
    }

    return measurement;
}

static string Describe(Measurement m) =>
    $"{m.RequestsPerSecond,8:N0} req/s  p50 {m.P50Ms,6:0.0} ms  p99 {m.P99Ms,6:0.0} ms  max {m.MaxMs,5:0} ms  200/428/other {m.Ok}/{m.Refused}/{m.Other}" +
    (m.Profile is { } p ? $"  cpu svc {p.ServiceCores:0.00} bench {p.BenchCores:0.00} other {p.OtherCores:0.00} busiest {p.BusiestThread} {p.BusiestThreadCores:0.00} disk {p.DiskKilobytesPerRequest:0.0} KB/req" : "") +
    (m.PoolExhausted ? "  (pool ran out)" : "");

static void Progress(string line) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");

static void Collect()
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
}

static string RepositoryRoot()
{
    foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "InventoryPlugin.sln")))
            {
                return directory.FullName;
            }
        }
    }

    throw new InvalidOperationException("Run the bench from inside the repository: InventoryPlugin.sln was not found above the current folder.");
}
