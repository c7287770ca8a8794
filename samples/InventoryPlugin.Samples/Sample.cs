using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace InventoryPlugin.Samples;

/// <summary>How a sample's token is made: the platform's way unless the sample is about a broken token.</summary>
public sealed record TokenSpec(
    string Signer = "platform",
    string? Algorithm = null,
    string? Audience = null,
    string? Issuer = null,
    int ExpiresInSeconds = 300,
    int IssuedSecondsAgo = 0);

/// <summary>
/// One recorded request: a platform call (the decoded <c>data</c> claim plus how its token is made, the
/// platform's way when absent), or a merchant API call (<c>method</c>, <c>path</c>, <c>body</c>).
/// </summary>
public sealed partial record Sample(string Description, string Endpoint, TokenSpec? Token, JsonNode? Data, string? Method = null, string? Path = null, JsonNode? Body = null)
{
    public const string MerchantEndpoint = "merchant";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Sample Load(string path) =>
        JsonSerializer.Deserialize<Sample>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path} is not a sample.");

    public bool IsMerchant => Endpoint == MerchantEndpoint;

    /// <summary>Where the request goes, relative to the service's base address; a merchant path may still hold <c>{{name}}</c> placeholders.</summary>
    public string Target => Endpoint switch
    {
        "decrement" or "increment" => $"/v1/{Endpoint}",
        MerchantEndpoint when Method is not null && Path is not null => Path,
        MerchantEndpoint => throw new InvalidDataException($"'{Description}': a merchant sample needs a method and a path."),
        _ => throw new InvalidDataException($"Unknown endpoint '{Endpoint}': use decrement, increment or merchant."),
    };

    /// <summary>The names of the <c>{{name}}</c> placeholders in the path: values saved by earlier steps of a replay.</summary>
    public IReadOnlyList<string> Placeholders => IsMerchant && Path is not null
        ? Placeholder().Matches(Path).Select(m => m.Groups["name"].Value).Distinct().ToList()
        : [];

    /// <summary>The path with each placeholder replaced by its saved value.</summary>
    public string TargetWith(IReadOnlyDictionary<string, string> saved) =>
        Placeholder().Replace(Target, m => saved.TryGetValue(m.Groups["name"].Value, out var value)
            ? Uri.EscapeDataString(value)
            : throw new InvalidDataException($"{{{{{m.Groups["name"].Value}}}}} in '{Path}' is not saved by an earlier step."));

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

    [GeneratedRegex(@"\{\{(?<name>[A-Za-z][A-Za-z0-9-]*)\}\}")]
    private static partial Regex Placeholder();
}

/// <summary>
/// One step of a replay: the sample to send and the answer it must get. <paramref name="ReplayedStatus"/>
/// is also accepted where an idempotent create is answered from its key by a repeated replay (201 then
/// 200); <paramref name="Save"/> keeps the answer's <c>id</c> for later paths as <c>{{name}}</c>;
/// <paramref name="WaitSeconds"/> pauses first (a hold running out); <paramref name="Expect"/> holds members
/// the answer's body must have (members it leaves out may be anything).
/// </summary>
public sealed record ManifestStep(
    string Sample,
    int Status,
    string? Code = null,
    int? ReplayedStatus = null,
    string? Save = null,
    double? WaitSeconds = null,
    JsonNode? Expect = null);

/// <summary>The samples in replay order, each with its expected outcome, and the stock they need first.</summary>
public sealed record Manifest(string InstanceId, string Seed, IReadOnlyList<ManifestStep> Steps)
{
    public const string FileName = "manifest.json";

    public static Manifest Load(string folder) =>
        JsonSerializer.Deserialize<Manifest>(File.ReadAllText(System.IO.Path.Combine(folder, FileName)), Sample.Json)
        ?? throw new InvalidDataException($"{folder}/{FileName} is not a manifest.");
}
