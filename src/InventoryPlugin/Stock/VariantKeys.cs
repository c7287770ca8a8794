using System.Text;
using System.Text.Json;

namespace InventoryPlugin.Stock;

/// <summary>
/// Turns a catalog reference's <c>options</c> into the variant part of a stock key, so that the
/// same variant is the same record however the platform happens to spell it.
/// </summary>
public static class VariantKeys
{
    public const string Product = "";

    public static string From(JsonElement options)
    {
        if (options.ValueKind != JsonValueKind.Object)
        {
            return Product;
        }

        if (options.TryGetProperty("variantId", out var variantId) && variantId.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
        {
            return ScalarText(variantId);
        }

        if (options.TryGetProperty("options", out var choices) && choices.ValueKind == JsonValueKind.Object)
        {
            return FromChoices(choices);
        }

        return Product;
    }

    // Sorted by name, ordinal, and escaped so that "a=b;c" can never collide with a real separator.
    private static string FromChoices(JsonElement choices)
    {
        var pairs = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var choice in choices.EnumerateObject())
        {
            pairs[choice.Name] = ScalarText(choice.Value);
        }

        var key = new StringBuilder();
        foreach (var (name, value) in pairs)
        {
            if (key.Length > 0)
            {
                key.Append(';');
            }

            key.Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
        }

        return key.ToString();
    }

    private static string ScalarText(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
}
