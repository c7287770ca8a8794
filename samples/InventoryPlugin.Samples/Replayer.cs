using System.Text;
using System.Text.Json.Nodes;

namespace InventoryPlugin.Samples;

public sealed record StepResult(string Sample, int ExpectedStatus, string? ExpectedCode, int Status, string Body)
{
    public string? Code => Body.Length > 0 && Body.TrimStart().StartsWith('{') ? JsonNode.Parse(Body)?["applicationError"]?["code"]?.GetValue<string>() : null;

    public bool Passed => Status == ExpectedStatus && (ExpectedCode is null || ExpectedCode == Code);
}

/// <summary>Seeds the stock a manifest needs through the merchant API, then sends its samples in order.</summary>
public sealed class Replayer(HttpClient http, SampleSigner signer)
{
    public async Task SeedAsync(string samplesFolder, Manifest manifest, string instanceId, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/inventory-items/bulk-upsert")
        {
            Content = new StringContent(await File.ReadAllTextAsync(Path.Combine(samplesFolder, manifest.Seed), cancellationToken), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", signer.MerchantToken(instanceId, "inventory:read inventory:write", TimeSpan.FromMinutes(5)));
        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Seeding failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    /// <summary>Signs a sample (for <paramref name="instanceId"/> when given) and sends it as the platform would.</summary>
    public async Task<(int Status, string Body)> SendAsync(Sample sample, string? instanceId, CancellationToken cancellationToken = default)
    {
        using var content = new StringContent(signer.SignPlatform(sample.ForTenant(instanceId), sample.Token), Encoding.ASCII, "text/plain");
        using var response = await http.PostAsync(sample.Path.TrimStart('/'), content, cancellationToken);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>Seeds (unless told not to), then replays the manifest's steps in order (the first <paramref name="count"/> of them when given).</summary>
    public async Task<IReadOnlyList<StepResult>> ReplayAsync(string samplesFolder, string? instanceId = null, int? count = null, TextWriter? log = null,
        bool seed = true, CancellationToken cancellationToken = default)
    {
        var manifest = Manifest.Load(samplesFolder);
        var tenant = instanceId ?? manifest.InstanceId;
        if (seed)
        {
            await SeedAsync(samplesFolder, manifest, tenant, cancellationToken);
        }

        var results = new List<StepResult>();
        foreach (var step in manifest.Steps.Take(count ?? manifest.Steps.Count))
        {
            var (status, body) = await SendAsync(Sample.Load(Path.Combine(samplesFolder, step.Sample)), tenant, cancellationToken);
            var result = new StepResult(step.Sample, step.Status, step.Code, status, body);
            results.Add(result);
            log?.WriteLine($"{(result.Passed ? "PASS" : "FAIL")} {step.Sample}: {status} {Shorten(body)}"
                + (result.Passed ? "" : $"  (expected {step.Status}{(step.Code is null ? "" : " " + step.Code)})"));
        }

        return results;
    }

    private static string Shorten(string body) => body.Length <= 400 ? body : body[..400] + "…";
}
