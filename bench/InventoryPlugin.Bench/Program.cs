using System.Diagnostics;
using InventoryPlugin.Bench;
using InventoryPlugin.Stock;

var root = RepositoryRoot();
var options = BenchOptions.Parse(args, root, Console.Error);
if (options is null)
{
    return 2;
}

var started = Stopwatch.GetTimestamp();
var warmup = TimeSpan.FromSeconds(options.WarmupSeconds);
var duration = TimeSpan.FromSeconds(options.DurationSeconds);
var ceilingWarmup = TimeSpan.FromSeconds(options.CeilingWarmupSeconds);
var ceilingDuration = TimeSpan.FromSeconds(options.CeilingDurationSeconds);

if (options.AllocationsOnly)
{
    using var allocationIdentity = new BenchIdentity();
    Console.WriteLine("| Scenario | Piece | bytes allocated/request | µs/request |");
    Console.WriteLine("|---|---|---:|---:|");
    foreach (var scenario in options.Scenarios.Select(id => Scenario.Find(id)!))
    {
        foreach (var piece in await Allocations.MeasureAsync(scenario, allocationIdentity, scenario.Pool == PoolKind.FiftyItems ? 300 : 2000))
        {
            Console.WriteLine($"| ({scenario.Id}) | {piece.Name} | {piece.BytesPerRequest:N0} | {piece.MicrosecondsPerRequest:N1} |");
        }
    }

    return 0;
}

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

// Every service runs from a copy of this build, taken now: others may build src/ while the bench runs.
var sourceVersion = options.CeilingOnly ? "" : SourceVersion();
using var snapshot = options.CeilingOnly ? null : ServiceUnderTest.SnapshotBuild(root);
using var identity = new BenchIdentity();

// Shared by both stores: the in-process requests of the ceilings and the signed pools, one per request shape
// (each run starts on a fresh database, so every requestId is still new to the service it meets).
var ceilingChanges = new Dictionary<PoolKind, StockChange[]>();
var pools = new Dictionary<PoolKind, RequestPool>();
var quiet = new QuietLog();
var exitCode = 0;
if (options.Sqlite)
{
    exitCode = Math.Max(exitCode, await RunSqliteAsync());
}

if (options.Postgres)
{
    exitCode = Math.Max(exitCode, await RunPostgresAsync());
}

return exitCode;

// The SQLite table: every scenario's ceiling and service rows, to bench/results/latest.md.
async Task<int> RunSqliteAsync()
{
    var scenarios = options.Scenarios.Select(id => Scenario.Find(id)!).ToList();
    var runs = new List<RunRecord>();
    var notes = new List<string>();

    // The ceiling needs no signatures: its requests are the same shapes, parsed beforehand.
    PrepareCeilingChanges(scenarios);

    // Run 1 of every ceiling first: it bounds what the service can reach, so it sizes the signed pools.
    foreach (var scenario in scenarios)
    {
        await RunCeilingAsync(scenario, 1);
    }

    // Sign every request before any timed window.
    foreach (var group in options.CeilingOnly ? [] : scenarios.GroupBy(s => s.Pool))
    {
        SignPool(group.Key, group.Max(s => Math.Min(s.MaxRate, 1.5 * CeilingRate(s) + 500)));
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

    if (quiet.Note(options.QuietWaitSeconds) is { } waited)
    {
        notes.Add(waited);
    }

    notes.Add($"Pre-signed pools (sized from the ceiling): {string.Join(", ", pools.Values.Select(p => $"{p.Kind} {p.Count:N0} requests signed in {p.SigningTime.TotalSeconds:0} s"))}. Whole bench: {Stopwatch.GetElapsedTime(started).TotalMinutes:0.0} min.");
    await WriteReportAsync(new Report(options, runs, notes).ToMarkdown(), options.Output);
    return runs.Any(r => r.Measurement.Other > 0) ? 1 : 0;

    async Task RunCeilingAsync(Scenario scenario, int run)
    {
        Collect();
        await WaitForQuietAsync();
        var ceiling = await Ceiling.RunAsync(scenario, ceilingChanges[scenario.Pool], identity.InstanceId, Report.CeilingCallers, ceilingWarmup, ceilingDuration);
        runs.Add(new RunRecord(scenario, Report.CeilingCallers, run, true, ceiling));
        Progress($"run {run} ceiling ({scenario.Id}) {Report.CeilingCallers} callers: {Describe(ceiling)}");
    }

    double CeilingRate(Scenario scenario) =>
        runs.Where(r => r.IsCeiling && r.Scenario == scenario).Select(r => r.Measurement.RequestsPerSecond).DefaultIfEmpty(scenario.MaxRate).Max();
}

async Task<Measurement> RunServiceAsync(Scenario scenario, int connections)
{
    Collect();
    await WaitForQuietAsync();
    await using var service = await ServiceUnderTest.StartAsync(root, identity, scenario.MaxBatchSize, options);
    await service.SeedAsync(identity, scenario.Seed());
    using var client = new ServiceClient(service, connections);
    var pool = pools[scenario.Pool];
    var measurement = await LoadDriver.DriveAsync(
        pool.Count,
        connections,
        warmup,
        duration,
        (_, i) => client.SendAsync(pool.Requests[i]),
        ProcessesUnderTest.Service(service.Pid));
    measurement = measurement with { PeakRssMb = service.PeakRssMegabytes() };
    if (service.LogLineCount() > 0)
    {
        Progress($"  the service logged warnings or errors; last lines:\n{service.LogTail(10)}");
    }

    return measurement;
}

// The PostgreSQL rows: per scenario an in-process ceiling, then 1..N replicas on one database, to bench/results/latest-postgres.md.
async Task<int> RunPostgresAsync()
{
    var postgresStarted = Stopwatch.GetTimestamp();
    var scenarios = options.PostgresScenarios.Select(id => Scenario.Find(id)!).ToList();
    var runs = new List<PostgresRunRecord>();
    var notes = new List<string>();
    await using var server = await BenchPostgres.StartAsync(Console.Out);
    Progress($"PostgreSQL {server.Version}: {server.Settings}; postmaster pid {server.PostmasterPid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown (DB CPU not measured)"}");

    PrepareCeilingChanges(scenarios);
    foreach (var scenario in scenarios)
    {
        await RunPostgresCeilingAsync(scenario, 1);
    }

    // Two replicas may together pass one in-process client: room for twice the ceiling.
    foreach (var group in scenarios.GroupBy(s => s.Pool))
    {
        SignPool(group.Key, group.Max(s => Math.Min(s.MaxRate, 2 * CeilingRate(s) + 1000)));
    }

    for (var run = 1; run <= options.Runs; run++)
    {
        foreach (var scenario in scenarios)
        {
            foreach (var replicas in options.Replicas)
            {
                foreach (var connections in options.Connections)
                {
                    var measurement = await RunReplicasAsync(server, scenario, replicas, connections);
                    runs.Add(new PostgresRunRecord(scenario, replicas, connections, run, measurement));
                    Progress($"run {run} ({scenario.Id}) postgres {replicas} replica(s) {connections,3} connections: {Describe(measurement)}, peak RSS {measurement.PeakRssMb:0} MB");
                }
            }

            if (run > 1)
            {
                await RunPostgresCeilingAsync(scenario, run);
            }
        }
    }

    if (quiet.Note(options.QuietWaitSeconds) is { } waited)
    {
        notes.Add(waited);
    }

    notes.Add($"Source measured: {sourceVersion}, when the service's Release build was copied for the bench{(options.Build ? " right after building it" : " (--no-build: the build was already there)")}; every service ran from that copy.");
    notes.Add($"Command: `dotnet run -c Release --project bench/InventoryPlugin.Bench -- {string.Join(' ', args)}`");
    notes.Add($"Pre-signed pools: {string.Join(", ", scenarios.Select(s => s.Pool).Distinct().Select(k => pools[k]).Select(p => $"{p.Kind} {p.Count:N0} requests"))}. PostgreSQL rows: {Stopwatch.GetElapsedTime(postgresStarted).TotalMinutes:0.0} min.");
    await WriteReportAsync(new PostgresReport(options, server, runs, notes).ToMarkdown(), options.PostgresOutput);
    return runs.Any(r => r.Measurement.Other > 0) ? 1 : 0;

    async Task RunPostgresCeilingAsync(Scenario scenario, int run)
    {
        Collect();
        await WaitForQuietAsync();
        var ceiling = await Ceiling.RunPostgresAsync(server, ceilingChanges[scenario.Pool], identity.InstanceId, Report.CeilingCallers, ceilingWarmup, ceilingDuration, scenario);
        runs.Add(new PostgresRunRecord(scenario, 0, Report.CeilingCallers, run, ceiling));
        Progress($"run {run} ceiling ({scenario.Id}) postgres {Report.CeilingCallers} callers: {Describe(ceiling)}");
    }

    double CeilingRate(Scenario scenario) =>
        runs.Where(r => r.IsCeiling && r.Scenario == scenario).Select(r => r.Measurement.RequestsPerSecond).DefaultIfEmpty(scenario.MaxRate).Max();
}

// N service processes on one fresh database; worker w sends to replica w mod N.
async Task<Measurement> RunReplicasAsync(BenchPostgres server, Scenario scenario, int replicas, int connections)
{
    Collect();
    await WaitForQuietAsync();
    var (database, connectionString) = await server.CreateDatabaseAsync();
    var services = new List<ServiceUnderTest>();
    var clients = new List<ServiceClient>();
    try
    {
        // One after the other: the first migrates the new database, the others find it done.
        for (var r = 0; r < replicas; r++)
        {
            services.Add(await ServiceUnderTest.StartAsync(root, identity, scenario.MaxBatchSize, options, connectionString));
        }

        await services[0].SeedAsync(identity, scenario.Seed());
        var perReplica = (connections + replicas - 1) / replicas;
        clients.AddRange(services.Select(service => new ServiceClient(service, perReplica)));
        var pool = pools[scenario.Pool];
        var measurement = await LoadDriver.DriveAsync(
            pool.Count,
            connections,
            warmup,
            duration,
            (worker, i) => clients[worker % replicas].SendAsync(pool.Requests[i]),
            new ProcessesUnderTest(services.Select(s => s.Pid).ToList(), server.PostmasterPid, server.WalCountersAsync));
        measurement = measurement with { PeakRssMb = ProcStats.PeakRssMegabytes(services.Select(s => s.Pid)) };
        foreach (var service in services.Where(s => s.LogLineCount() > 0))
        {
            Progress($"  replica {services.IndexOf(service) + 1} logged warnings or errors; last lines:\n{service.LogTail(10)}");
        }

        return measurement;
    }
    finally
    {
        foreach (var client in clients)
        {
            client.Dispose();
        }

        foreach (var service in services)
        {
            await service.DisposeAsync();
        }

        await server.DropDatabaseAsync(database);
    }
}

// With --quiet-wait: lets other engineers' builds and tests finish before a run starts (or gives up).
async Task WaitForQuietAsync()
{
    if (options.QuietWaitSeconds <= 0)
    {
        return;
    }

    var waiting = Stopwatch.GetTimestamp();
    while (true)
    {
        var busy = await ProcStats.MachineBusyCoresAsync(TimeSpan.FromSeconds(3));
        var waited = Stopwatch.GetElapsedTime(waiting).TotalSeconds;
        if (busy < QuietLog.Threshold || waited >= options.QuietWaitSeconds)
        {
            quiet.Add(waited, busy < QuietLog.Threshold);
            if (waited > 4)
            {
                Progress($"  waited {waited:0} s for the machine to be idle ({(busy < QuietLog.Threshold ? "it is" : $"gave up: {busy:0.00} cores busy")})");
            }

            return;
        }
    }
}

void PrepareCeilingChanges(IEnumerable<Scenario> scenarios)
{
    foreach (var group in scenarios.GroupBy(s => s.Pool).Where(g => !ceilingChanges.ContainsKey(g.Key)))
    {
        var count = (int)Math.Ceiling(group.Max(s => s.MaxRate) * (options.CeilingWarmupSeconds + options.CeilingDurationSeconds));
        Progress($"Preparing {count:N0} in-process requests for the {group.Key} ceiling...");
        var preparing = Stopwatch.GetTimestamp();
        ceilingChanges[group.Key] = Ceiling.Prepare(group.Key, count, identity.InstanceId);
        Progress($"  prepared in {Stopwatch.GetElapsedTime(preparing).TotalSeconds:0.0} s");
    }
}

// Signs a pool for `rate` requests per second over warm-up and window, unless one at least that large exists.
void SignPool(PoolKind kind, double rate)
{
    var count = (int)Math.Ceiling(rate * (options.WarmupSeconds + options.DurationSeconds));
    if (pools.TryGetValue(kind, out var existing) && existing.Count >= count)
    {
        return;
    }

    Progress($"Signing {count:N0} requests for the {kind} pool ({rate:N0}/s over {options.WarmupSeconds + options.DurationSeconds:0.#} s)...");
    var pool = RequestPool.Sign(kind, count, identity);
    pools[kind] = pool;
    Progress($"  signed in {pool.SigningTime.TotalSeconds:0.0} s ({count / pool.SigningTime.TotalSeconds:N0}/s)");
}

async Task WriteReportAsync(string markdown, string? output)
{
    Console.WriteLine();
    Console.WriteLine(markdown);
    if (output is not null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        await File.WriteAllTextAsync(output, markdown);
        Progress($"Written to {Path.GetRelativePath(root, output)}");
    }
}

static string Describe(Measurement m) =>
    $"{m.RequestsPerSecond,8:N0} req/s  p50 {m.P50Ms,6:0.0} ms  p99 {m.P99Ms,6:0.0} ms  max {m.MaxMs,5:0} ms  200/428/other {m.Ok}/{m.Refused}/{m.Other}" +
    (m.Profile is { } p ? $"  cpu svc {p.ServiceCores:0.00} bench {p.BenchCores:0.00}{(double.IsNaN(p.DatabaseCores) ? "" : $" db {p.DatabaseCores:0.00} ({p.DatabaseMicrosecondsPerRequest:0} µs/req)")} other {p.OtherCores:0.00} busiest {p.BusiestThread} {p.BusiestThreadCores:0.00} disk {p.DiskKilobytesPerRequest:0.0} KB/req" : "") +
    (m.PoolExhausted ? "  (pool ran out)" : "");

// The commit the service was built from, and whether src/ differed from it (others may edit it meanwhile).
string SourceVersion()
{
    try
    {
        var head = Git("rev-parse", "--short", "HEAD").Trim();
        var changed = Git("status", "--porcelain", "--", "src").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        return changed == 0 ? $"git {head}, src/ unmodified" : $"git {head} with {changed} file(s) under src/ modified or new (work in progress at the time)";
    }
    catch (Exception exception) when (exception is System.ComponentModel.Win32Exception or InvalidOperationException)
    {
        return $"unknown ({exception.Message})";
    }

    string Git(params string[] arguments)
    {
        var info = new ProcessStartInfo("git") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var git = Process.Start(info) ?? throw new InvalidOperationException("git did not start.");
        var output = git.StandardOutput.ReadToEnd();
        git.WaitForExit();
        return git.ExitCode == 0 ? output : throw new InvalidOperationException($"git {string.Join(' ', arguments)} exited with {git.ExitCode}");
    }
}

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
