using System.Text.Json.Nodes;

namespace InventoryPlugin.Tests.Infrastructure;

/// <summary>Builds decoded platform envelopes (the <c>data</c> claim) for tests to sign and send.</summary>
public static class Envelopes
{
    /// <summary>The Wix Stores app id: the catalog most items come from.</summary>
    public const string StoresAppId = "215238eb-22a5-4c36-9e7b-e7c08025e04e";

    public static JsonObject Item(string catalogItemId, int quantity, string? locationId = null, JsonObject? options = null, string appId = StoresAppId)
    {
        var item = new JsonObject
        {
            ["catalogReference"] = new JsonObject
            {
                ["catalogItemId"] = catalogItemId,
                ["appId"] = appId,
                ["options"] = options,
            },
            ["quantity"] = quantity,
            ["subscriptionItem"] = false,
        };
        if (locationId is not null)
        {
            item["locationId"] = locationId;
        }

        return item;
    }

    public static JsonObject Decrement(string instanceId, IEnumerable<JsonObject> items, bool? restrict = true, string? requestId = "new", string? orderId = null, string reason = "ORDER_PLACED")
    {
        var envelope = Increment(instanceId, items, requestId, orderId, reason);
        envelope["request"]!["restrictInventoryValue"] = restrict;
        return envelope;
    }

    /// <param name="requestId">"new" for a fresh GUID; null for none.</param>
    public static JsonObject Increment(string instanceId, IEnumerable<JsonObject> items, string? requestId = "new", string? orderId = null, string reason = "ORDER_CANCELED") => new()
    {
        ["request"] = new JsonObject
        {
            ["items"] = new JsonArray(items.Select(i => (JsonNode)i.DeepClone()).ToArray()),
            ["orderId"] = orderId ?? Guid.NewGuid().ToString(),
            ["reason"] = reason,
        },
        ["metadata"] = new JsonObject
        {
            ["requestId"] = requestId == "new" ? Guid.NewGuid().ToString() : requestId,
            ["instanceId"] = instanceId,
            ["currency"] = "EUR",
            ["languages"] = new JsonArray("de-DE"),
            ["identity"] = new JsonObject
            {
                ["identityType"] = "ANONYMOUS_VISITOR",
                ["anonymousVisitorId"] = Guid.NewGuid().ToString(),
            },
            ["appExtensionType"] = "ECOM_INVENTORY",
        },
    };
}
