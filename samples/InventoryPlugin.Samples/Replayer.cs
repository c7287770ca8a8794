using System.Text;
using System.Text.Json.Nodes;

namespace InventoryPlugin.Samples;

public sealed record StepResult(ManifestStep Step, int Status, string Body)
{
    public string Sample => Step.Sample;

    public int ExpectedStatus => Step.Status;

    public string? ExpectedCode => Step.Code;

    public JsonNode? Json => Body.Length > 0 && Body.TrimStart().StartsWith('{') ? JsonNode.Parse(Body) : null;

    /// <summary>The error code: the platform's <c>applicationError.code</c>, or a merchant problem's <c>code</c>.</summary>
    public string? Code => Json is { } json ? (json["applicationError"]?["code"] ?? json["code"])?.GetValue<string>() : null;

    /// <summary>Where the body differs from the step's <c>expect</c>, or null when it has all it states.</summary>
    public string? BodyDifference => Step.Expect is { } expected ? JsonSubset.Difference(expected, Json) : null;

    public bool Passed => (Status == Step.Status || Status == Step.ReplayedStatus)
        && (Step.Code is null || Step.Code == Code)
        && BodyDifference is null;
}

/// <summary>Seeds the stock a manifest needs through the merchant API, then sends its samples in order.</summary>
public sealed class Replayer(HttpClient http, SampleSigner signer)
{
    private const string MerchantScopes = "inventory:read inventory:write";

    public async Task SeedAsync(string samplesFolder, Manifest manifest, string instanceId, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/inventory-items/bulk-upsert")
        {
            Content = new StringContent(await File.ReadAllTextAsync(Path.Combine(samplesFolder, manifest.Seed), cancellationToken), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", signer.MerchantToken(instanceId, MerchantScopes, TimeSpan.FromMinutes(5)));
        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Seeding failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    /// <summary>
    /// Sends a sample for <paramref name="instanceId"/>: a platform call signed now as the platform would,
    /// or a merchant call with a token for that tenant and its placeholders filled from <paramref name="saved"/>.
    /// </summary>
    public async Task<(int Status, string Body)> SendAsync(Sample sample, string instanceId, IReadOnlyDictionary<string, string>? saved = null,
        CancellationToken cancellationToken = default)
    {
        using var request = sample.IsMerchant ? MerchantRequest(sample, instanceId, saved ?? new Dictionary<string, string>()) : PlatformRequest(sample, instanceId);
        using var response = await http.SendAsync(request, cancellationToken);
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

        var saved = new Dictionary<string, string>(StringComparer.Ordinal);
        var results = new List<StepResult>();
        foreach (var step in manifest.Steps.Take(count ?? manifest.Steps.Count))
        {
            if (step.WaitSeconds is { } wait && wait > 0)
            {
                log?.WriteLine($"wait {wait:0.##} s");
                await Task.Delay(TimeSpan.FromSeconds(wait), cancellationToken);
            }

            var (status, body) = await SendAsync(Sample.Load(Path.Combine(samplesFolder, step.Sample)), tenant, saved, cancellationToken);
            var result = new StepResult(step, status, body);
            if (step.Save is { } name && result.Json?["id"]?.GetValue<string>() is { } id)
            {
                saved[name] = id;
            }

            results.Add(result);
            log?.WriteLine(Describe(result));
        }

        return results;
    }

    /// <summary>One line per step: PASS or FAIL, the answer, and what was expected when it differs.</summary>
    public static string Describe(StepResult result, int? maxBody = 400)
    {
        var step = result.Step;
        var body = maxBody is { } max && result.Body.Length > max ? result.Body[..max] + "…" : result.Body;
        return $"{(result.Passed ? "PASS" : "FAIL")} {step.Sample}: {result.Status} {body}"
            + (result.Passed ? "" : $"  (expected {step.Status}{(step.Code is null ? "" : " " + step.Code)}{(result.BodyDifference is { } difference ? "; " + difference : "")})");
    }

    private HttpRequestMessage PlatformRequest(Sample sample, string instanceId) =>
        new(HttpMethod.Post, sample.Target.TrimStart('/'))
        {
            Content = new StringContent(signer.SignPlatform(sample.ForTenant(instanceId), sample.Token), Encoding.ASCII, "text/plain"),
        };

    private HttpRequestMessage MerchantRequest(Sample sample, string instanceId, IReadOnlyDictionary<string, string> saved)
    {
        var request = new HttpRequestMessage(new HttpMethod(sample.Method!), sample.TargetWith(saved).TrimStart('/'));
        if (sample.Body is not null)
        {
            request.Content = new StringContent(sample.Body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        // The token names the tenant, so a merchant sample replays on any tenant unchanged.
        request.Headers.Authorization = new("Bearer", signer.MerchantToken(instanceId, MerchantScopes, TimeSpan.FromMinutes(5)));
        return request;
    }
}

/// <summary>Compares an answer with what a step expects of it: the members stated must be there and equal, the rest may be anything.</summary>
public static class JsonSubset
{
    /// <summary>The first place where <paramref name="actual"/> does not have what <paramref name="expected"/> states, or null. Arrays match element by element and in length.</summary>
    public static string? Difference(JsonNode? expected, JsonNode? actual, string path = "$")
    {
        switch (expected)
        {
            case JsonObject members:
                if (actual is not JsonObject actualMembers)
                {
                    return $"{path}: expected an object, got {Show(actual)}";
                }

                foreach (var (name, value) in members)
                {
                    if (Difference(value, actualMembers[name], $"{path}.{name}") is { } difference)
                    {
                        return difference;
                    }
                }

                return null;
            case JsonArray elements:
                if (actual is not JsonArray actualElements || actualElements.Count != elements.Count)
                {
                    return $"{path}: expected {elements.Count} elements, got {Show(actual)}";
                }

                for (var i = 0; i < elements.Count; i++)
                {
                    if (Difference(elements[i], actualElements[i], $"{path}[{i}]") is { } difference)
                    {
                        return difference;
                    }
                }

                return null;
            default:
                return JsonNode.DeepEquals(expected, actual) ? null : $"{path}: expected {Show(expected)}, got {Show(actual)}";
        }
    }

    private static string Show(JsonNode? node) => node?.ToJsonString() ?? "nothing";
}
