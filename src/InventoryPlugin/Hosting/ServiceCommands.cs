using System.Globalization;
using InventoryPlugin.Storage;

namespace InventoryPlugin.Hosting;

/// <summary>
/// One-shot commands of the service binary, read with the service's own configuration:
/// <c>verify-ledger [--instance ID]</c> and <c>healthcheck</c> (the Docker image's health probe).
/// </summary>
public static class ServiceCommands
{
    public const string VerifyLedger = "verify-ledger";
    public const string HealthCheck = "healthcheck";

    public static bool IsCommand(string[] args) => args.Length > 0 && args[0] is VerifyLedger or HealthCheck;

    /// <returns>The process exit code: 0 consistent / healthy, 1 drift found / unhealthy, 2 cannot check.</returns>
    public static Task<int> RunAsync(WebApplicationBuilder builder, string[] args, TextWriter output) => args[0] switch
    {
        VerifyLedger => RunVerifyLedgerAsync(builder, OptionValue(args, "--instance"), output),
        _ => RunHealthCheckAsync(builder, output),
    };

    private static async Task<int> RunVerifyLedgerAsync(WebApplicationBuilder builder, string? instanceId, TextWriter output)
    {
        var storage = builder.Configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        var (reader, where, problem, lifetime) = await StorageRegistration.OpenForCommandAsync(storage, builder.Environment, CancellationToken.None).ConfigureAwait(false);
        await using var _ = lifetime.ConfigureAwait(false);
        if (reader is null)
        {
            output.WriteLine(problem);
            return 2;
        }

        var report = await reader.VerifyLedgerAsync(instanceId, CancellationToken.None).ConfigureAwait(false);
        var scope = instanceId is null ? "all tenants" : $"tenant {instanceId}";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{where}, {scope}: {report.Records} records, {report.Entries} ledger entries."));
        foreach (var drift in report.Drifts)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"DRIFT  tenant {drift.InstanceId} item {drift.RecordId}: quantity {drift.Quantity}, ledger sum {drift.LedgerSum} over {drift.Entries} entries (drift {drift.Drift}); held by open allocations {drift.Held}, ledger allocated sum {drift.AllocatedLedgerSum}"));
        }

        foreach (var entry in report.BrokenEntries)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"BROKEN ledger seq {entry.Seq} (tenant {entry.InstanceId} item {entry.RecordId}): quantityAfter {entry.QuantityAfter}, running sum {entry.RunningSum}"));
        }

        output.WriteLine(report.Consistent
            ? "Consistent: every quantity equals the sum of its ledger deltas."
            : $"NOT consistent: {report.Drifts.Count} drifting records, {report.BrokenEntries.Count} broken entries (at most {LedgerVerificationReport.MaxListed} of each listed).");
        return report.Consistent ? 0 : 1;
    }

    private static async Task<int> RunHealthCheckAsync(WebApplicationBuilder builder, TextWriter output)
    {
        var http = builder.Configuration.GetSection(HttpOptions.Section).Get<HttpOptions>() ?? new HttpOptions();
        var url = LocalUrl(http.Urls) + (string.IsNullOrWhiteSpace(http.PathBase) ? "" : "/" + http.PathBase.Trim('/')) + "/healthz";
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await client.GetAsync(new Uri(url)).ConfigureAwait(false);
            output.WriteLine($"{url}: {(int)response.StatusCode}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            output.WriteLine($"{url}: {e.Message}");
            return 1;
        }
    }

    /// <summary>The first listening URL, with a wildcard host made the loopback address.</summary>
    private static string LocalUrl(string urls)
    {
        var first = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "http://localhost:5000";
        var schemeEnd = first.IndexOf("://", StringComparison.Ordinal) + 3;
        var portColon = first.IndexOf(':', first[schemeEnd] == '[' ? Math.Max(schemeEnd, first.IndexOf(']', schemeEnd)) : schemeEnd);
        var hostEnd = portColon >= 0 ? portColon : first.Length;
        var host = first[schemeEnd..hostEnd];
        return (host is "+" or "*" or "0.0.0.0" or "[::]" ? first[..schemeEnd] + "127.0.0.1" + first[hostEnd..] : first).TrimEnd('/');
    }

    private static string? OptionValue(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
