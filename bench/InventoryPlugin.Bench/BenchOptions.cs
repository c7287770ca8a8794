using System.Globalization;

namespace InventoryPlugin.Bench;

/// <summary>The command line: how long, how often, which scenarios, where the table goes.</summary>
public sealed class BenchOptions
{
    public const string Usage = """
        dotnet run -c Release --project bench/InventoryPlugin.Bench -- [options]

          --duration S          measured seconds per service run (default 8; --quick: 2)
          --warmup S            unmeasured seconds before each service window, so the JIT has settled
                                (default 5; --quick: 2); the in-process ceiling warms up for at most 2 s
          --runs N              runs of every scenario and connection count; the table shows medians (default 3; --quick: 1)
          --scenarios a,b,c,d   which scenarios (default all)
          --connections 16,64   concurrent connections (default 16,64)
          --ceiling-duration S  measured seconds of each in-process ceiling run (default 5; --quick: 2)
          --output PATH         where the markdown goes besides stdout (default bench/results/latest.md;
                                --quick: nowhere unless given; "-" for nowhere)
          --quick               a smoke run: short windows, one run, small request pools
          --no-build            use the existing Release build of src/InventoryPlugin
          --ceiling-only        only the in-process ceiling (for profiling the store)
          --allocations         only bytes allocated and µs per request of each piece of the platform path
                                (token verification, envelope parse, the SQLite transaction), one request at a time
          --service-log-level L the service's Serilog minimum level (default Warning: no per-request
                                lines; Information: one console line per request, as appsettings.json has it)
          --service-env N=V,... extra environment of every service process (e.g. a runtime knob such as
                                DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1), for measuring a lever; the
                                report names them
          --quiet-wait S        before every run, wait up to S seconds for the machine to be idle (other
                                processes below 0.25 cores over 3 s; default 0: do not wait)
          --store S             sqlite (default: the SQLite table above), postgres, or both
          --replicas 1,2        PostgreSQL rows: service processes sharing one database, the connections
                                spread evenly over them (default 1,2)
          --postgres-output P   where the PostgreSQL markdown goes (default bench/results/latest-postgres.md;
                                --quick: nowhere unless given; "-" for nowhere)

        PostgreSQL rows run scenarios a, b and c (d is SQLite's group commit; without --scenarios: a,b)
        against a throwaway cluster started in a temp folder (initdb + pg_ctl, as the postgres OS user
        when root; fsync and synchronous_commit on), or against the server whose Npgsql connection string
        is in INVENTORY_BENCH_POSTGRES. Every run gets a fresh database (CREATE DATABASE).
        """;

    public double DurationSeconds { get; private set; } = 8;

    public double WarmupSeconds { get; private set; } = 5;

    /// <summary>The ceiling runs in this process, whose code is already warm after its first run.</summary>
    public double CeilingWarmupSeconds => Math.Min(WarmupSeconds, 2);

    public int Runs { get; private set; } = 3;

    public IReadOnlyList<string> Scenarios { get; private set; } = ["a", "b", "c", "d"];

    public IReadOnlyList<int> Connections { get; private set; } = [16, 64];

    public double CeilingDurationSeconds { get; private set; } = 5;

    public string? Output { get; private set; }

    public bool Quick { get; private set; }

    public bool Build { get; private set; } = true;

    public bool CeilingOnly { get; private set; }

    /// <summary>Only the per-request allocations and CPU of each piece of the platform path, one request at a time.</summary>
    public bool AllocationsOnly { get; private set; }

    public string ServiceLogLevel { get; private set; } = "Warning";

    /// <summary>Environment variables added to every service process (<c>--service-env</c>).</summary>
    public IReadOnlyDictionary<string, string> ServiceEnvironment { get; private set; } = new Dictionary<string, string>();

    /// <summary>The SQLite rows (the original table).</summary>
    public bool Sqlite { get; private set; } = true;

    /// <summary>The PostgreSQL rows.</summary>
    public bool Postgres { get; private set; }

    public IReadOnlyList<int> Replicas { get; private set; } = [1, 2];

    /// <summary>The scenarios of the PostgreSQL rows: the selected ones that do not depend on SQLite's group commit.</summary>
    public IReadOnlyList<string> PostgresScenarios { get; private set; } = ["a", "b"];

    public string? PostgresOutput { get; private set; }

    /// <summary>Most seconds to wait before each run for other processes to leave the machine idle; 0: no waiting.</summary>
    public double QuietWaitSeconds { get; private set; }

    /// <summary>The parsed options, or <c>null</c> (after printing why) when the command line is wrong.</summary>
    public static BenchOptions? Parse(string[] args, string repositoryRoot, TextWriter error)
    {
        var options = new BenchOptions();
        var given = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    options.Quick = true;
                    break;
                case "--no-build":
                    options.Build = false;
                    break;
                case "--ceiling-only":
                    options.CeilingOnly = true;
                    break;
                case "--allocations":
                    options.AllocationsOnly = true;
                    break;
                case "-h" or "--help":
                    error.WriteLine(Usage);
                    return null;
                case var name when name.StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length:
                    given[name] = args[++i];
                    break;
                default:
                    error.WriteLine($"Unknown or incomplete option '{args[i]}'.");
                    error.WriteLine(Usage);
                    return null;
            }
        }

        if (options.Quick)
        {
            options.DurationSeconds = 2;
            options.WarmupSeconds = 2;
            options.Runs = 1;
            options.CeilingDurationSeconds = 2;
        }
        else
        {
            options.Output = Path.Combine(repositoryRoot, "bench", "results", "latest.md");
            options.PostgresOutput = Path.Combine(repositoryRoot, "bench", "results", "latest-postgres.md");
        }

        try
        {
            foreach (var (name, value) in given)
            {
                switch (name)
                {
                    case "--duration":
                        options.DurationSeconds = Positive(value, name);
                        break;
                    case "--warmup":
                        options.WarmupSeconds = double.Parse(value, CultureInfo.InvariantCulture);
                        break;
                    case "--runs":
                        options.Runs = (int)Positive(value, name);
                        break;
                    case "--ceiling-duration":
                        options.CeilingDurationSeconds = Positive(value, name);
                        break;
                    case "--scenarios":
                        options.Scenarios = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                            .Select(s => s.ToLowerInvariant())
                            .Distinct(StringComparer.Ordinal)
                            .ToList();
                        if (options.Scenarios.Count == 0 || options.Scenarios.Any(s => Scenario.Find(s) is null))
                        {
                            throw new FormatException($"--scenarios takes a comma-separated list of {string.Join(",", Scenario.All.Select(s => s.Id))}.");
                        }

                        break;
                    case "--connections":
                        options.Connections = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                            .Select(c => (int)Positive(c, name))
                            .Distinct()
                            .Order()
                            .ToList();
                        break;
                    case "--service-log-level":
                        options.ServiceLogLevel = value is "Verbose" or "Debug" or "Information" or "Warning" or "Error" or "Fatal"
                            ? value
                            : throw new FormatException("--service-log-level takes a Serilog level: Verbose, Debug, Information, Warning, Error or Fatal.");
                        break;
                    case "--service-env":
                        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
                        foreach (var pair in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                        {
                            var parts = pair.Split('=', 2);
                            environment[parts.Length == 2 && parts[0].Length > 0 ? parts[0] : throw new FormatException("--service-env takes NAME=VALUE pairs, comma-separated.")] = parts[1];
                        }

                        options.ServiceEnvironment = environment;
                        break;
                    case "--output":
                        options.Output = value == "-" ? null : Path.GetFullPath(value);
                        break;
                    case "--quiet-wait":
                        options.QuietWaitSeconds = double.Parse(value, CultureInfo.InvariantCulture);
                        break;
                    case "--postgres-output":
                        options.PostgresOutput = value == "-" ? null : Path.GetFullPath(value);
                        break;
                    case "--store":
                        (options.Sqlite, options.Postgres) = value.ToLowerInvariant() switch
                        {
                            "sqlite" => (true, false),
                            "postgres" or "postgresql" => (false, true),
                            "both" => (true, true),
                            _ => throw new FormatException("--store takes sqlite, postgres or both."),
                        };
                        break;
                    case "--replicas":
                        options.Replicas = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                            .Select(c => (int)Positive(c, name))
                            .Distinct()
                            .Order()
                            .ToList();
                        if (options.Replicas.Count == 0 || options.Replicas.Any(r => r > 8))
                        {
                            throw new FormatException("--replicas takes a comma-separated list of 1 to 8.");
                        }

                        break;
                    default:
                        throw new FormatException($"Unknown option '{name}'.");
                }
            }
        }
        catch (FormatException exception)
        {
            error.WriteLine(exception.Message);
            error.WriteLine(Usage);
            return null;
        }

        if (given.ContainsKey("--scenarios"))
        {
            options.PostgresScenarios = options.Scenarios.Where(s => s != "d").ToList();
            if (options.Postgres && !options.Sqlite && options.PostgresScenarios.Count == 0)
            {
                error.WriteLine("Scenario d is SQLite's group commit switched off: the PostgreSQL rows take a, b or c.");
                return null;
            }
        }

        if (options.Postgres && options.CeilingOnly)
        {
            error.WriteLine("--ceiling-only is for the SQLite store; the PostgreSQL rows always run the service.");
            return null;
        }

        return options;
    }

    private static double Positive(string value, string name) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw new FormatException($"{name} takes a positive number, not '{value}'.");
}
