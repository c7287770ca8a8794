using InventoryPlugin.Platform;
using InventoryPlugin.Stock;

namespace InventoryPlugin.Merchant;

/// <summary>
/// Turns merchant inputs into stock keys and records, with the same rules as the platform envelope
/// (catalog item id length, app id, variant key from options, default location) so that a record a
/// merchant creates is the very record the platform's requests resolve to.
/// </summary>
public static class ItemInputs
{
    public const long MaxAbsoluteQuantity = 1_000_000_000;
    public const int MaxMessageLength = 1000;

    public static StockKey? Key(string tenant, CatalogReferenceInput? reference, string? locationId, TenantSettings settings, string prefix, ValidationErrors errors)
    {
        var referencePath = ValidationErrors.Path(prefix, "catalogReference");
        if (reference is null)
        {
            errors.Add(referencePath, "is required");
            return null;
        }

        var before = errors.Count;
        var catalogItemId = RequiredText(reference.CatalogItemId, ValidationErrors.Path(referencePath, "catalogItemId"), EnvelopeParser.MaxCatalogItemIdLength, errors);
        var appId = RequiredText(reference.AppId, ValidationErrors.Path(referencePath, "appId"), EnvelopeParser.MaxTextLength, errors);
        var variantKey = VariantKeys.Product;
        if (reference.Options is { } options && options.ValueKind is not (System.Text.Json.JsonValueKind.Null or System.Text.Json.JsonValueKind.Undefined))
        {
            if (reference.VariantKey is not null)
            {
                errors.Add(ValidationErrors.Path(referencePath, "variantKey"), "give either options or variantKey, not both");
            }
            else if (options.ValueKind != System.Text.Json.JsonValueKind.Object)
            {
                errors.Add(ValidationErrors.Path(referencePath, "options"), "must be a JSON object or null");
            }
            else
            {
                variantKey = VariantKeys.From(options);
            }
        }
        else if (reference.VariantKey is { } given)
        {
            variantKey = given;
        }

        var location = Location(locationId, ValidationErrors.Path(prefix, "locationId"), errors) ?? settings.DefaultLocationId;
        return errors.Count == before ? new StockKey(tenant, appId!, catalogItemId!, variantKey, location) : null;
    }

    public static NewStockRecord? NewRecord(string tenant, InventoryItemInput? input, TenantSettings settings, string prefix, ValidationErrors errors)
    {
        if (input is null)
        {
            errors.Add(prefix.Length == 0 ? "body" : prefix, "is required");
            return null;
        }

        var before = errors.Count;
        var key = Key(tenant, input.CatalogReference, input.LocationId, settings, prefix, errors);
        if (input.Quantity is null == input.InStock is null)
        {
            errors.Add(ValidationErrors.Path(prefix, "quantity"), "give either quantity (quantity tracking) or inStock (in-stock tracking)");
        }

        var trackQuantity = input.Quantity is not null;
        Quantity(input.Quantity, ValidationErrors.Path(prefix, "quantity"), errors);
        var preorder = Preorder(input.Preorder, trackQuantity, ValidationErrors.Path(prefix, "preorder"), errors);
        LowStockThreshold(input.LowStockThreshold, ValidationErrors.Path(prefix, "lowStockThreshold"), errors);
        return errors.Count == before
            ? new NewStockRecord(key!.Value, trackQuantity, input.Quantity ?? 0, input.InStock ?? false, preorder ?? PreorderSettings.Off, input.LowStockThreshold)
            : null;
    }

    public static PreorderSettings? Preorder(PreorderInput? input, bool trackQuantity, string path, ValidationErrors errors)
    {
        if (input is null)
        {
            return null;
        }

        if (input.Enabled == true && !trackQuantity)
        {
            errors.Add(ValidationErrors.Path(path, "enabled"), "preorder needs quantity tracking");
        }

        if (input.Limit is < 0 or > MaxAbsoluteQuantity)
        {
            errors.Add(ValidationErrors.Path(path, "limit"), $"must be between 0 and {MaxAbsoluteQuantity}, or null for no limit");
        }

        if (input.Message is { Length: > MaxMessageLength })
        {
            errors.Add(ValidationErrors.Path(path, "message"), $"must be at most {MaxMessageLength} characters long");
        }

        return new PreorderSettings(input.Enabled ?? false, input.Limit, input.Message);
    }

    public static void LowStockThreshold(long? threshold, string path, ValidationErrors errors)
    {
        if (threshold is < 0 or > MaxAbsoluteQuantity)
        {
            errors.Add(path, $"must be between 0 and {MaxAbsoluteQuantity}, or null for none");
        }
    }

    /// <summary>A PATCH's threshold: absent leaves it, null removes it, a whole number sets it.</summary>
    public static ThresholdChange? LowStockThresholdChange(System.Text.Json.JsonElement given, string path, ValidationErrors errors)
    {
        switch (given.ValueKind)
        {
            case System.Text.Json.JsonValueKind.Undefined:
                return null;
            case System.Text.Json.JsonValueKind.Null:
                return new ThresholdChange(null);
            case System.Text.Json.JsonValueKind.Number when given.TryGetInt64(out var threshold):
                LowStockThreshold(threshold, path, errors);
                return new ThresholdChange(threshold);
            default:
                errors.Add(path, "must be a whole number, or null to remove it");
                return null;
        }
    }

    public static void Quantity(long? quantity, string path, ValidationErrors errors)
    {
        if (quantity is < -MaxAbsoluteQuantity or > MaxAbsoluteQuantity)
        {
            errors.Add(path, $"must be between {-MaxAbsoluteQuantity} and {MaxAbsoluteQuantity}");
        }
    }

    /// <summary>A location GUID in canonical form; null when not given.</summary>
    public static string? Location(string? locationId, string path, ValidationErrors errors)
    {
        if (string.IsNullOrEmpty(locationId))
        {
            return null;
        }

        if (Guid.TryParse(locationId, out var location))
        {
            return location.ToString("D");
        }

        errors.Add(path, "must be a GUID");
        return null;
    }

    private static string? RequiredText(string? text, string path, int maxLength, ValidationErrors errors)
    {
        if (string.IsNullOrEmpty(text))
        {
            errors.Add(path, "is required");
            return null;
        }

        if (text.Length > maxLength)
        {
            errors.Add(path, $"must be at most {maxLength} characters long");
            return null;
        }

        return text;
    }
}
