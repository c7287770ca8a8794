using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using InventoryPlugin.Tests.Infrastructure;

namespace InventoryPlugin.Tests.Merchant;

/// <summary>One answer of the merchant API, read whole.</summary>
public sealed record MerchantAnswer(HttpStatusCode Status, string Body, string? MediaType, HttpResponseHeaders Headers)
{
    public JsonNode? Json => Body.Length == 0 ? null : JsonNode.Parse(Body);

    /// <summary>The problem details' machine-readable code.</summary>
    public string? Code => Json?["code"]?.GetValue<string>();

    /// <summary>The field names of a validation problem's <c>errors</c> map.</summary>
    public IReadOnlyList<string> ErrorFields => Json?["errors"]?.AsObject().Select(e => e.Key).ToList() ?? [];

    public string Id => Json!["id"]!.GetValue<string>();

    public long Revision => Json!["revision"]!.GetValue<long>();

    public override string ToString() => $"{(int)Status} {MediaType} {Body}";
}

/// <summary>Calls and request bodies of the merchant API, spelled the way a merchant's tool would send them.</summary>
public static class MerchantCalls
{
    public const string ProblemJson = "application/problem+json";

    public static async Task<MerchantAnswer> CallAsync(this HttpClient client, HttpMethod method, string path, JsonNode? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        return await SendAsync(client, request);
    }

    public static async Task<MerchantAnswer> PostCsvAsync(this HttpClient client, string path, string csv)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(csv, Encoding.UTF8, "text/csv") };
        return await SendAsync(client, request);
    }

    /// <summary>Creates a record and insists on 201: for tests whose subject is something else.</summary>
    public static async Task<MerchantAnswer> CreateAsync(this HttpClient client, JsonObject item)
    {
        var answer = await client.CallAsync(HttpMethod.Post, "inventory-items", item);
        Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.Created), answer.ToString());
        return answer;
    }

    public static async Task<JsonNode> GetItemAsync(this HttpClient client, string id)
    {
        var answer = await client.CallAsync(HttpMethod.Get, $"inventory-items/{id}");
        Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
        return answer.Json!;
    }

    /// <summary>Every record a query returns, following its cursor to the end.</summary>
    public static async Task<List<JsonNode>> QueryAllAsync(this HttpClient client, JsonObject? filter = null, int limit = 1000)
    {
        var found = new List<JsonNode>();
        string? cursor = null;
        do
        {
            var answer = await client.CallAsync(HttpMethod.Post, "inventory-items/query", new JsonObject { ["filter"] = filter?.DeepClone(), ["cursor"] = cursor, ["limit"] = limit });
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
            found.AddRange(answer.Json!["items"]!.AsArray().Select(i => i!));
            cursor = answer.Json["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);
        return found;
    }

    /// <summary>Every ledger entry matching the query string, following its cursor to the end.</summary>
    public static async Task<List<JsonNode>> LedgerAsync(this HttpClient client, string query = "", int limit = 1000)
    {
        var entries = new List<JsonNode>();
        string? cursor = null;
        do
        {
            var path = $"ledger?limit={limit}" + (query.Length > 0 ? "&" + query : "") + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
            var answer = await client.CallAsync(HttpMethod.Get, path);
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
            entries.AddRange(answer.Json!["entries"]!.AsArray().Select(e => e!));
            cursor = answer.Json["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);
        return entries;
    }

    public static async Task<string> ExportAsync(this HttpClient client)
    {
        using var response = await client.GetAsync(new Uri("inventory-items/export", UriKind.Relative));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>A merchant API client that sends exactly this Authorization header (or none).</summary>
    public static HttpClient ClientWith(PluginInstance plugin, string? token)
    {
        var client = new HttpClient { BaseAddress = new Uri(plugin.Http.BaseAddress!, "api/v1/") };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    public static JsonObject Reference(string catalogItemId, string appId = Envelopes.StoresAppId, JsonObject? options = null) => new()
    {
        ["appId"] = appId,
        ["catalogItemId"] = catalogItemId,
        ["options"] = options?.DeepClone(),
    };

    /// <summary>A quantity-tracked record.</summary>
    public static JsonObject Counted(string catalogItemId, long quantity, string? locationId = null, JsonObject? preorder = null,
        JsonObject? options = null, string appId = Envelopes.StoresAppId) => new()
    {
        ["catalogReference"] = Reference(catalogItemId, appId, options),
        ["locationId"] = locationId,
        ["quantity"] = quantity,
        ["preorder"] = preorder,
    };

    /// <summary>The same object with one more member: for a field the builders here do not take.</summary>
    public static JsonObject With(this JsonObject item, string name, JsonNode? value)
    {
        item[name] = value;
        return item;
    }

    /// <summary>An in-stock-tracked record.</summary>
    public static JsonObject Flagged(string catalogItemId, bool inStock, string? locationId = null, string appId = Envelopes.StoresAppId) => new()
    {
        ["catalogReference"] = Reference(catalogItemId, appId),
        ["locationId"] = locationId,
        ["inStock"] = inStock,
    };

    public static JsonObject Preorder(long? limit, string? message = null) => new() { ["enabled"] = true, ["limit"] = limit, ["message"] = message };

    private static async Task<MerchantAnswer> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        using var response = await client.SendAsync(request);
        return new MerchantAnswer(response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType, response.Headers);
    }
}
