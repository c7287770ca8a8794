using System.Net;
using System.Text.Json.Nodes;
using InventoryPlugin.Tests.Merchant;

namespace InventoryPlugin.Tests.Events;

public static class EventCalls
{
    /// <summary>Every event of the tenant after <paramref name="cursor"/> matching the query, following the cursor while there is more.</summary>
    public static async Task<(List<JsonNode> Events, string Cursor)> EventsAsync(this HttpClient client, string query = "", string? cursor = null, int limit = 1000)
    {
        var events = new List<JsonNode>();
        while (true)
        {
            var path = $"events?limit={limit}" + (query.Length > 0 ? "&" + query : "") + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
            var answer = await client.CallAsync(HttpMethod.Get, path);
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
            events.AddRange(answer.Json!["events"]!.AsArray().Select(e => e!));
            cursor = answer.Json["nextCursor"]!.GetValue<string>();
            if (!answer.Json["hasMore"]!.GetValue<bool>())
            {
                return (events, cursor);
            }
        }
    }

    public static string Type(this JsonNode stockEvent) => stockEvent["type"]!.GetValue<string>();

    public static (long Quantity, long Available) Before(this JsonNode stockEvent) =>
        (stockEvent["before"]!["quantity"]!.GetValue<long>(), stockEvent["before"]!["available"]!.GetValue<long>());

    public static (long Quantity, long Available) After(this JsonNode stockEvent) =>
        (stockEvent["after"]!["quantity"]!.GetValue<long>(), stockEvent["after"]!["available"]!.GetValue<long>());
}
