using System.Text.Json;
using System.Text.Json.Nodes;

namespace InventoryPlugin.Samples;

/// <summary>How a sample's token is made: the platform's way unless the sample is about a broken token.</summary>
public sealed record TokenSpec(
    string Signer = "platform",
    string? Algorithm = null,
    string? Audience = null,
    string? Issuer = null,
    int ExpiresInSeconds = 300,
    int IssuedSecondsAgo = 0);

/// <summary>One recorded platform request: the decoded <c>data</c> claim plus how its token is made (the platform's way when absent).</summary>
public sealed record Sample(string Description, string Endpoint, TokenSpec? Token, JsonNode? Data)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Sample Load(string path) =>
        JsonSerializer.Deserialize<Sample>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path} is not a sample.");

    public string Path => Endpoint is "decrement" or "increment"
        ? $"/v1/{Endpoint}"
        : throw new InvalidDataException($"Unknown endpoint '{Endpoint}': use decrement or increment.");

    /// <summary>The data claim for another tenant, so a replay can run on a clean slate.</summary>
    public JsonNode? ForTenant(string? instanceId)
    {
        var data = Data?.DeepClone();
        if (instanceId is not null && data?["metadata"] is JsonObject metadata && metadata.ContainsKey("instanceId"))
        {
            metadata["instanceId"] = instanceId;
        }

        return data;
    }
}

public sealed record ManifestStep(string Sample, int Status, string? Code = null);

/// <summary>The samples in replay order, each with its expected outcome, and the stock they need first.</summary>
public sealed record Manifest(string InstanceId, string Seed, IReadOnlyList<ManifestStep> Steps)
{
    public const string FileName = "manifest.json";

    public static Manifest Load(string folder) =>
        JsonSerializer.Deserialize<Manifest>(File.ReadAllText(System.IO.Path.Combine(folder, FileName)), Sample.Json)
        ?? throw new InvalidDataException($"{folder}/{FileName} is not a manifest.");
}
