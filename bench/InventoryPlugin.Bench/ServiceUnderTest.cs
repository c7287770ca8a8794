using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace InventoryPlugin.Bench;

/// <summary>
/// The Release build of the service as its own process on a loopback port, with a fresh database in
/// a temporary folder, configured only by environment variables. Disposing it kills that process
/// (by its id) and deletes the folder.
/// </summary>
public sealed class ServiceUnderTest : IAsyncDisposable
{
    /// <summary>How every service of the bench logs, and any extra environment it was given, for the report.</summary>
    public static string SettingsNote(BenchOptions options)
    {
        var logging = options.ServiceLogLevel == "Information"
            ? "Serilog minimum level Information (Serilog__MinimumLevel__Default): one console line per request, read and written to a file by this process"
            : $"Serilog minimum level {options.ServiceLogLevel} (Serilog__MinimumLevel__Default): no per-request log lines";
        return options.ServiceEnvironment.Count == 0
            ? logging
            : $"{logging}; extra environment (--service-env) {string.Join(", ", options.ServiceEnvironment.Select(e => $"`{e.Key}={e.Value}`"))}";
    }

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _logLock = new();
    private bool _logClosed;
    private IDisposable? _killOnExit;

    private ServiceUnderTest(Process process, string directory, Uri baseAddress, StreamWriter log)
    {
        _process = process;
        Directory = directory;
        BaseAddress = baseAddress;
        _log = log;
    }

    public Uri BaseAddress { get; }

    public string Directory { get; }

    public int Pid => _process.Id;

    public string LogPath => Path.Combine(Directory, "service.log");

    public static string DllPath(string repositoryRoot) =>
        Path.Combine(repositoryRoot, "src", "InventoryPlugin", "bin", "Release", "net10.0", "InventoryPlugin.dll");

    /// <summary>The private copy of the Release build every service of this bench runs from (see <see cref="SnapshotBuild"/>).</summary>
    public static string? RunFrom { get; private set; }

    /// <summary>
    /// Copies the Release build to a folder of the bench's own and runs every service from there: a build of
    /// src/ by someone else during the bench would otherwise change the binary between runs. Returns a
    /// handle that deletes the copy.
    /// </summary>
    public static IDisposable SnapshotBuild(string repositoryRoot)
    {
        var source = Path.GetDirectoryName(DllPath(repositoryRoot))!;
        var target = Path.Combine(Path.GetTempPath(), "inventory-plugin-bench", "service-build-" + Guid.NewGuid().ToString("N"));
        foreach (var file in System.IO.Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(source, file));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        RunFrom = Path.Combine(target, Path.GetFileName(DllPath(repositoryRoot)));
        var onExit = ExitCleanup.Register(() => DeleteQuietly(target));
        return new Snapshot(() =>
        {
            onExit.Dispose();
            RunFrom = null;
            DeleteQuietly(target);
        });
    }

    /// <summary><c>dotnet build -c Release</c> of the service project.</summary>
    public static async Task BuildAsync(string repositoryRoot, TextWriter output)
    {
        var info = new ProcessStartInfo("dotnet", ["build", Path.Combine(repositoryRoot, "src", "InventoryPlugin"), "-c", "Release", "-v", "q", "-nologo"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = repositoryRoot,
        };
        using var build = Process.Start(info) ?? throw new InvalidOperationException("dotnet build did not start.");
        var stdout = build.StandardOutput.ReadToEndAsync();
        var stderr = build.StandardError.ReadToEndAsync();
        await build.WaitForExitAsync().ConfigureAwait(false);
        if (build.ExitCode != 0)
        {
            output.WriteLine(await stdout.ConfigureAwait(false));
            output.WriteLine(await stderr.ConfigureAwait(false));
            throw new InvalidOperationException($"dotnet build -c Release of src/InventoryPlugin failed with exit code {build.ExitCode}.");
        }
    }

    /// <summary>
    /// Starts the service on a fresh SQLite file of its own, or, given <paramref name="postgresConnectionString"/>,
    /// on that PostgreSQL database (Storage:Provider Postgres), which other replicas may share.
    /// </summary>
    public static async Task<ServiceUnderTest> StartAsync(
        string repositoryRoot, BenchIdentity identity, int maxBatchSize, BenchOptions options, string? postgresConnectionString = null)
    {
        try
        {
            return await StartOnceAsync(repositoryRoot, identity, maxBatchSize, options, postgresConnectionString).ConfigureAwait(false);
        }
        catch (ExitedBeforeReadyException exception)
        {
            // Seen once on the shared machine: exit code 0 (a graceful stop) before ready. One more try, said aloud.
            Console.WriteLine($"[{DateTime.Now:HH:mm:ss}]   {exception.Message.TrimEnd()}\n  starting it once more");
            return await StartOnceAsync(repositoryRoot, identity, maxBatchSize, options, postgresConnectionString).ConfigureAwait(false);
        }
    }

    private static async Task<ServiceUnderTest> StartOnceAsync(
        string repositoryRoot, BenchIdentity identity, int maxBatchSize, BenchOptions options, string? postgresConnectionString)
    {
        var directory = Path.Combine(Path.GetTempPath(), "inventory-plugin-bench", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}");
        var info = new ProcessStartInfo("dotnet", [RunFrom ?? DllPath(repositoryRoot)])
        {
            // The repository root, as in production (README): its appsettings.json, overridden below.
            WorkingDirectory = repositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var environment = info.Environment;
        environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        environment["DOTNET_ENVIRONMENT"] = "Production";
        environment["Wix__AppId"] = BenchIdentity.AppId;
        environment["Wix__PublicKey"] = identity.PublicKeyForEnvironment;
        environment["Wix__Issuer"] = BenchIdentity.PlatformIssuer;
        environment["MerchantAuth__SigningKey"] = Convert.ToBase64String(identity.MerchantKey);
        environment["MerchantAuth__Issuer"] = BenchIdentity.MerchantIssuer;
        environment["MerchantAuth__Audience"] = BenchIdentity.MerchantAudience;
        environment["MerchantAuth__Authority"] = "";
        environment["Storage__Provider"] = postgresConnectionString is null ? "Sqlite" : "Postgres";
        environment["Storage__ConnectionString"] = postgresConnectionString ?? $"Data Source={Path.Combine(directory, "inventory.db")}";
        environment["Storage__MaxBatchSize"] = maxBatchSize.ToString(CultureInfo.InvariantCulture);
        environment["Http__Urls"] = baseAddress.ToString().TrimEnd('/');
        environment["Http__PathBase"] = "";
        environment["Serilog__MinimumLevel__Default"] = options.ServiceLogLevel;
        environment["Serilog__MinimumLevel__Override__Microsoft.Hosting.Lifetime"] = "Warning";
        environment.Remove("ASPNETCORE_URLS");
        environment.Remove("ASPNETCORE_HTTP_PORTS");
        foreach (var (name, value) in options.ServiceEnvironment)
        {
            environment[name] = value;
        }

        var log = new StreamWriter(Path.Combine(directory, "service.log"), append: false, Encoding.UTF8) { AutoFlush = true };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var service = new ServiceUnderTest(process, directory, baseAddress, log);
        process.OutputDataReceived += (_, e) => service.Log(e.Data);
        process.ErrorDataReceived += (_, e) => service.Log(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException("The service process did not start.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // Killed by its id if the bench is stopped early.
        service._killOnExit = ExitCleanup.Register(service.Kill);

        try
        {
            await service.WaitReadyAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch
        {
            await service.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return service;
    }

    /// <summary>Creates the scenario's records through the merchant API's bulk upsert, 1,000 per call.</summary>
    public async Task SeedAsync(BenchIdentity identity, IReadOnlyList<(string CatalogItemId, long Quantity)> records)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", identity.MintMerchantToken());
        foreach (var chunk in records.Chunk(1000))
        {
            var body = BenchIdentity.Json(w =>
            {
                w.WriteStartArray("items");
                foreach (var (catalogItemId, quantity) in chunk)
                {
                    w.WriteStartObject();
                    w.WriteStartObject("catalogReference");
                    w.WriteString("appId", BenchIdentity.StoresAppId);
                    w.WriteString("catalogItemId", catalogItemId);
                    w.WriteEndObject();
                    w.WriteNumber("quantity", quantity);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            });
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await client.PostAsync(new Uri("/api/v1/inventory-items/bulk-upsert", UriKind.Relative), content).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                var answer = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                throw new InvalidOperationException($"Seeding failed: {(int)response.StatusCode} {answer[..Math.Min(answer.Length, 500)]}");
            }
        }
    }

    public double PeakRssMegabytes() => ProcStats.StatusMegabytes(Pid, "VmHWM");

    /// <summary>The last lines the service wrote (warnings and errors only, at the bench's log level).</summary>
    public string LogTail(int lines = 20)
    {
        lock (_logLock)
        {
            _log.Flush();
        }

        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var all = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join('\n', all.TakeLast(lines));
    }

    public int LogLineCount()
    {
        lock (_logLock)
        {
            _log.Flush();
        }

        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var count = 0;
        while (reader.ReadLine() is not null)
        {
            count++;
        }

        return count;
    }

    public async ValueTask DisposeAsync()
    {
        _killOnExit?.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is InvalidOperationException or TimeoutException)
        {
            // Already gone.
        }

        _process.Dispose();
        lock (_logLock)
        {
            _logClosed = true;
            _log.Dispose();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean up with the rest of the temp folder.
        }
    }

    private static void DeleteQuietly(string directory)
    {
        try
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Left for the OS to clean up with the rest of the temp folder.
        }
    }

    private void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (Exception exception) when (exception is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }

        try
        {
            _process.WaitForExit(TimeSpan.FromSeconds(5));
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // Left for the OS to clean up with the rest of the temp folder.
        }
    }

    private async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (_process.HasExited)
            {
                // Until its output is drained the log may still lack the service's last words.
                _process.WaitForExit();
                throw new ExitedBeforeReadyException($"The service exited with code {_process.ExitCode} before it was ready:\n{LogTail()}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri("/readyz", UriKind.Relative)).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(100).ConfigureAwait(false);
        }

        throw new TimeoutException($"The service was not ready within {timeout.TotalSeconds} s:\n{LogTail()}");
    }

    private void Log(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logLock)
        {
            if (!_logClosed)
            {
                _log.WriteLine(line);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class Snapshot(Action delete) : IDisposable
    {
        public void Dispose() => delete();
    }

    private sealed class ExitedBeforeReadyException(string message) : Exception(message);
}
