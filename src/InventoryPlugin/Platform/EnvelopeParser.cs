using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using InventoryPlugin.Stock;

namespace InventoryPlugin.Platform;

public sealed record FieldViolation(string Field, string Description);

/// <summary>The parsed envelope, or every violation found in it.</summary>
/// <remarks>The identifying fields are filled as far as they could be read, for the request's log event.</remarks>
public sealed record EnvelopeParseResult(StockChange? Change, IReadOnlyList<FieldViolation> Violations)
{
    public string? RequestId { get; init; }

    public string? InstanceId { get; init; }

    public string? OrderId { get; init; }

    public string? Reason { get; init; }

    public int ItemCount { get; init; }
}

/// <summary>
/// Reads the <c>data</c> claim of a verified platform token into a <see cref="StockChange"/>,
/// checking every rule of contract part 1.2–1.3 and reporting all violations, not just the first.
/// Unknown fields are ignored.
/// </summary>
public static class EnvelopeParser
{
    /// <summary>
    /// A field's path in the envelope, spelled out only when a violation names it: a 50-item request
    /// would otherwise build hundreds of path strings that a valid request never shows.
    /// </summary>
    private readonly record struct FieldPath(string Text, int ItemIndex = -1)
    {
        public FieldPath(int itemIndex, string suffix)
            : this(suffix, itemIndex)
        {
        }

        public static implicit operator FieldPath(string text) => new(text);

        public static implicit operator string(FieldPath path) => path.ToString();

        public override string ToString() => ItemIndex < 0 ? Text : $"request.items[{ItemIndex}]{Text}";
    }

    public const int MaxItems = 300;
    public const int MaxQuantity = 100_000;
    public const int MaxCatalogItemIdLength = 36;
    public const int MaxTextLength = 256;
    public const string ExtensionType = "ECOM_INVENTORY";

    private static readonly JsonDocumentOptions StrictJson = new() { MaxDepth = 64, AllowDuplicateProperties = false };

    public static EnvelopeParseResult Parse(ReadOnlyMemory<byte> payloadJson, StockOperation operation)
    {
        try
        {
            if (HasUnreadableText(payloadJson.Span))
            {
                return new EnvelopeParseResult(null, [new("data", "holds text that is not valid UTF-8, or an escaped lone surrogate")]);
            }

            using var payload = JsonDocument.Parse(payloadJson, StrictJson);
            return Parse(payload.RootElement, operation);
        }
        catch (JsonException exception)
        {
            return new EnvelopeParseResult(null, [new("data", $"is not valid JSON: {exception.Message}")]);
        }
    }

    /// <summary>
    /// JsonDocument checks a string's UTF-8 and its escapes only when the string is read, and then throws
    /// InvalidOperationException from wherever that happens (a 500). So the text is checked here, up front:
    /// all of it for UTF-8, and each escaped string or name for its escapes.
    /// </summary>
    private static bool HasUnreadableText(ReadOnlySpan<byte> json)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json))
        {
            return true;
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = StrictJson.MaxDepth });
        while (reader.Read())
        {
            if (reader.TokenType is (JsonTokenType.String or JsonTokenType.PropertyName) && reader.ValueIsEscaped)
            {
                try
                {
                    // Unescaping is where a lone surrogate (\ud800) is found.
                    _ = reader.GetString();
                }
                catch (InvalidOperationException)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static EnvelopeParseResult Parse(JsonElement payload, StockOperation operation)
    {
        var violations = new List<FieldViolation>();
        if (payload.ValueKind != JsonValueKind.Object || !payload.TryGetProperty("data", out var data) || IsAbsent(data))
        {
            return new EnvelopeParseResult(null, [new("data", "is required")]);
        }

        if (data.ValueKind != JsonValueKind.Object)
        {
            return new EnvelopeParseResult(null, [new("data", "must be a JSON object")]);
        }

        var metadata = RequiredObject(data, "metadata", "metadata", violations);
        var instanceId = metadata is { } m ? RequiredGuid(m, "instanceId", "metadata.instanceId", violations) : null;
        var requestId = metadata is { } m2 ? OptionalString(m2, "requestId", "metadata.requestId", violations) : null;
        if (metadata is { } m3)
        {
            CheckExtensionType(m3, violations);
        }

        var request = RequiredObject(data, "request", "request", violations);
        var lines = new List<StockLine>();
        string? orderId = null;
        string? reason = null;
        var restrict = true;
        if (request is { } r)
        {
            ReadItems(r, lines, violations);
            orderId = RequiredGuid(r, "orderId", "request.orderId", violations);
            reason = OptionalString(r, "reason", "request.reason", violations);
            if (operation == StockOperation.Decrement)
            {
                // Missing or null is the safe side: refuse rather than oversell.
                restrict = OptionalBool(r, "restrictInventoryValue", "request.restrictInventoryValue", violations) ?? true;
            }
        }

        var result = violations.Count == 0
            ? new StockChange(operation, instanceId!, requestId, Digest(request!.Value), orderId!, reason, restrict, ReadActor(metadata!.Value), lines)
            : null;
        return new EnvelopeParseResult(result, violations)
        {
            RequestId = requestId,
            InstanceId = instanceId,
            OrderId = orderId,
            Reason = reason,
            ItemCount = lines.Count,
        };
    }

    private static void ReadItems(JsonElement request, List<StockLine> lines, List<FieldViolation> violations)
    {
        if (!request.TryGetProperty("items", out var items) || IsAbsent(items))
        {
            violations.Add(new("request.items", "is required"));
            return;
        }

        if (items.ValueKind != JsonValueKind.Array)
        {
            violations.Add(new("request.items", "must be an array"));
            return;
        }

        var count = items.GetArrayLength();
        if (count is < 1 or > MaxItems)
        {
            violations.Add(new("request.items", $"must hold between 1 and {MaxItems} items, not {count}"));
            return;
        }

        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            if (ReadItem(item, index, violations) is { } line)
            {
                lines.Add(line);
            }

            index++;
        }
    }

    private static StockLine? ReadItem(JsonElement item, int index, List<FieldViolation> violations)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            violations.Add(new(new FieldPath(index, ""), "must be a JSON object"));
            return null;
        }

        var before = violations.Count;
        string? appId = null;
        string? catalogItemId = null;
        var variantKey = VariantKeys.Product;
        var reference = RequiredObject(item, "catalogReference", new FieldPath(index, ".catalogReference"), violations);
        if (reference is { } cr)
        {
            catalogItemId = RequiredString(cr, "catalogItemId", new FieldPath(index, ".catalogReference.catalogItemId"), MaxCatalogItemIdLength, violations);
            appId = RequiredString(cr, "appId", new FieldPath(index, ".catalogReference.appId"), MaxTextLength, violations);
            if (cr.TryGetProperty("options", out var options) && !IsAbsent(options))
            {
                if (options.ValueKind == JsonValueKind.Object)
                {
                    variantKey = VariantKeys.From(options);
                }
                else
                {
                    violations.Add(new(new FieldPath(index, ".catalogReference.options"), "must be a JSON object or null"));
                }
            }
        }

        var locationId = OptionalGuid(item, "locationId", new FieldPath(index, ".locationId"), violations);
        var quantity = RequiredQuantity(item, new FieldPath(index, ".quantity"), violations);
        OptionalBool(item, "subscriptionItem", new FieldPath(index, ".subscriptionItem"), violations);

        return violations.Count == before
            ? new StockLine(appId!, catalogItemId!, variantKey, locationId, quantity, reference!.Value.GetRawText())
            : null;
    }

    private static int RequiredQuantity(JsonElement item, FieldPath path, List<FieldViolation> violations)
    {
        if (!item.TryGetProperty("quantity", out var value) || IsAbsent(value))
        {
            violations.Add(new(path, "is required"));
            return 0;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var quantity))
        {
            violations.Add(new(path, "must be a whole number"));
            return 0;
        }

        if (quantity is < 1 or > MaxQuantity)
        {
            violations.Add(new(path, $"must be between 1 and {MaxQuantity}"));
            return 0;
        }

        return (int)quantity;
    }

    private static void CheckExtensionType(JsonElement metadata, List<FieldViolation> violations)
    {
        if (!metadata.TryGetProperty("appExtensionType", out var type) || IsAbsent(type))
        {
            return;
        }

        if (type.ValueKind != JsonValueKind.String || !string.Equals(type.GetString(), ExtensionType, StringComparison.OrdinalIgnoreCase))
        {
            violations.Add(new("metadata.appExtensionType", $"must be {ExtensionType}"));
        }
    }

    /// <summary>The identity is informative only (it goes to the ledger): read leniently, never refused.</summary>
    private static Actor ReadActor(JsonElement metadata)
    {
        if (!metadata.TryGetProperty("identity", out var identity) || identity.ValueKind != JsonValueKind.Object)
        {
            return new Actor("UNKNOWN", null);
        }

        var type = identity.TryGetProperty("identityType", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "UNKNOWN";
        var idField = type switch
        {
            "ANONYMOUS_VISITOR" => "anonymousVisitorId",
            "MEMBER" => "memberId",
            "WIX_USER" => "wixUserId",
            "APP" => "appId",
            _ => null,
        };
        var id = idField is not null && identity.TryGetProperty(idField, out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
        return new Actor(Clip(type), id is null ? null : Clip(id));
    }

    /// <summary>
    /// The hash of the request's raw UTF-8, as sent: the same bytes as its raw text re-encoded (the payload was
    /// checked to be valid UTF-8), so digests stored by earlier versions still match, without copying 10 KB twice.
    /// </summary>
    private static byte[] Digest(JsonElement request) => SHA256.HashData(JsonMarshal.GetRawUtf8Value(request));

    private static JsonElement? RequiredObject(JsonElement parent, string name, FieldPath path, List<FieldViolation> violations)
    {
        if (!parent.TryGetProperty(name, out var value) || IsAbsent(value))
        {
            violations.Add(new(path, "is required"));
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            violations.Add(new(path, "must be a JSON object"));
            return null;
        }

        return value;
    }

    private static string? RequiredString(JsonElement parent, string name, FieldPath path, int maxLength, List<FieldViolation> violations)
    {
        if (!parent.TryGetProperty(name, out var value) || IsAbsent(value))
        {
            violations.Add(new(path, "is required"));
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            violations.Add(new(path, "must be a string"));
            return null;
        }

        var text = value.GetString()!;
        if (text.Length < 1 || text.Length > maxLength)
        {
            violations.Add(new(path, $"must be 1 to {maxLength} characters long"));
            return null;
        }

        return text;
    }

    /// <summary>A string, or null; an empty string counts as absent.</summary>
    private static string? OptionalString(JsonElement parent, string name, FieldPath path, List<FieldViolation> violations)
    {
        if (!parent.TryGetProperty(name, out var value) || IsAbsent(value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            violations.Add(new(path, "must be a string or null"));
            return null;
        }

        var text = value.GetString()!;
        if (text.Length > MaxTextLength)
        {
            violations.Add(new(path, $"must be at most {MaxTextLength} characters long"));
            return null;
        }

        return text.Length == 0 ? null : text;
    }

    private static string? RequiredGuid(JsonElement parent, string name, FieldPath path, List<FieldViolation> violations)
    {
        if (!parent.TryGetProperty(name, out var value) || IsAbsent(value))
        {
            violations.Add(new(path, "is required"));
            return null;
        }

        return Guid(value, path, violations);
    }

    private static string? OptionalGuid(JsonElement parent, string name, FieldPath path, List<FieldViolation> violations) =>
        parent.TryGetProperty(name, out var value) && !IsAbsent(value) ? Guid(value, path, violations) : null;

    /// <summary>GUIDs are kept in one canonical spelling, so that the same id is always the same key.</summary>
    private static string? Guid(JsonElement value, FieldPath path, List<FieldViolation> violations)
    {
        if (value.ValueKind == JsonValueKind.String && System.Guid.TryParse(value.GetString(), out var guid))
        {
            return guid.ToString("D");
        }

        violations.Add(new(path, "must be a GUID"));
        return null;
    }

    private static bool? OptionalBool(JsonElement parent, string name, FieldPath path, List<FieldViolation> violations)
    {
        if (!parent.TryGetProperty(name, out var value) || IsAbsent(value))
        {
            return null;
        }

        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetBoolean();
        }

        violations.Add(new(path, "must be true, false or null"));
        return null;
    }

    private static bool IsAbsent(JsonElement value) => value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;

    private static string Clip(string text) => text.Length <= MaxTextLength ? text : text[..MaxTextLength];
}
