using System.Globalization;
using System.Text;
using InventoryPlugin.Stock;
using InventoryPlugin.Storage;

namespace InventoryPlugin.Merchant;

/// <summary>
/// Records as CSV, the same columns both ways, so an export imports into another tenant unchanged.
/// Import upserts by key with the same error policies as bulk upsert; each bad row is reported by line.
/// </summary>
public static class CsvTransferEndpoints
{
    public const string ContentType = "text/csv";
    public const int MaxImportRows = 100_000;

    public static readonly string[] Columns =
    [
        "appId", "catalogItemId", "variantKey", "locationId", "trackQuantity", "quantity", "inStock",
        "preorderEnabled", "preorderLimit", "preorderMessage", "allocated", "available", "lowStockThreshold",
    ];

    public static void MapCsvTransferEndpoints(this MerchantRoutes routes)
    {
        routes.Read.MapGet("/inventory-items/export", ExportAsync).WithTags("Inventory items")
            .WithSummary("Every record of the tenant as CSV.").Produces(StatusCodes.Status200OK, contentType: ContentType);
        routes.Write.MapPost("/inventory-items/import", ImportAsync).WithTags("Inventory items")
            .WithSummary("Create or update records from CSV (the export's columns); errorPolicy=ALL_OR_NOTHING (default) or APPLY_VALID.");
    }

    private static async Task ExportAsync(HttpContext http, Tenant tenant, IStockReader reader)
    {
        http.Response.ContentType = $"{ContentType}; charset=utf-8";
        http.Response.Headers.ContentDisposition = "attachment; filename=\"inventory.csv\"";
        await using var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false));
        await writer.WriteAsync(Csv.Line(Columns) + "\n").ConfigureAwait(false);
        string? after = null;
        while (true)
        {
            var page = await reader.PageAsync(tenant.InstanceId, new StockRecordFilter(), after, InventoryItemsEndpoints.MaxPageSize, http.RequestAborted).ConfigureAwait(false);
            foreach (var record in page)
            {
                await writer.WriteAsync(Csv.Line(Fields(record)) + "\n").ConfigureAwait(false);
            }

            if (page.Count < InventoryItemsEndpoints.MaxPageSize)
            {
                break;
            }

            after = page[^1].Id;
        }
    }

    private static async Task<IResult> ImportAsync(HttpContext http, Tenant tenant, IStockStore store, IStockReader records, string? errorPolicy)
    {
        var errors = new ValidationErrors();
        var allOrNothing = BulkPolicy.Parse(errorPolicy, "errorPolicy", errors);
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var csv = new List<(int Line, List<string> Fields)>();
        await foreach (var row in ReadAllAsync(reader).ConfigureAwait(false))
        {
            csv.Add(row);
        }

        Dictionary<string, int>? header = null;
        if (csv.Count == 0)
        {
            errors.Add("body", "is empty; expected a header line and records");
        }
        else
        {
            header = csv[0].Fields.Select((name, index) => (name: name.Trim(), index)).ToDictionary(c => c.name, c => c.index, StringComparer.OrdinalIgnoreCase);
            foreach (var missing in Columns.Take(5).Where(c => !header.ContainsKey(c)))
            {
                errors.Add("header", $"lacks the column {missing}");
            }
        }

        if (csv.Count - 1 > MaxImportRows)
        {
            errors.Add("body", $"holds more than {MaxImportRows} records");
        }

        if (errors.Any)
        {
            return MerchantProblems.Validation(errors);
        }

        var settings = await records.LoadSettingsAsync(tenant.InstanceId, http.RequestAborted).ConfigureAwait(false);
        var rows = csv.Skip(1).Select(row =>
        {
            var rowErrors = new ValidationErrors();
            var input = ToInput(row.Fields, header!, rowErrors);

            // Validated even when a field could not be read, so that every problem of the row is reported at once.
            var record = ItemInputs.NewRecord(tenant.InstanceId, input, settings, "", rowErrors);
            return new BulkPolicy.Row(row.Line, rowErrors.Any ? null : record, rowErrors);
        }).ToList();
        return await BulkPolicy.ApplyAsync(rows, allOrNothing, store, tenant, http.RequestAborted).ConfigureAwait(false);
    }

    private static async IAsyncEnumerable<(int Line, List<string> Fields)> ReadAllAsync(StreamReader reader)
    {
        // The body is read whole first: the parser is synchronous and Kestrel forbids synchronous reads.
        using var text = new StringReader(await reader.ReadToEndAsync().ConfigureAwait(false));
        foreach (var row in Csv.Read(text))
        {
            yield return row;
        }
    }

    private static IEnumerable<string?> Fields(StockRecord record) =>
    [
        record.Key.AppId,
        record.Key.CatalogItemId,
        record.Key.VariantKey,
        record.Key.LocationId,
        Bool(record.TrackQuantity),
        record.Quantity.ToString(CultureInfo.InvariantCulture),
        Bool(record.InStock),
        Bool(record.Preorder.Enabled),
        record.Preorder.Limit?.ToString(CultureInfo.InvariantCulture),
        record.Preorder.Message,
        record.Allocated.ToString(CultureInfo.InvariantCulture),
        record.State.Available.ToString(CultureInfo.InvariantCulture),
        record.LowStockThreshold?.ToString(CultureInfo.InvariantCulture),
    ];

    private static InventoryItemInput ToInput(List<string> fields, Dictionary<string, int> header, ValidationErrors errors)
    {
        string? Text(string column) => header.TryGetValue(column, out var i) && i < fields.Count && fields[i].Length > 0 ? fields[i] : null;

        bool? Flag(string column)
        {
            var text = Text(column);
            if (text is null)
            {
                return null;
            }

            if (bool.TryParse(text.Trim(), out var value))
            {
                return value;
            }

            errors.Add(column, "must be true or false");
            return null;
        }

        long? Number(string column)
        {
            var text = Text(column);
            if (text is null)
            {
                return null;
            }

            if (long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }

            errors.Add(column, "must be a whole number");
            return null;
        }

        var trackQuantity = Flag("trackQuantity") ?? true;
        var quantity = Number("quantity");
        var inStock = Flag("inStock");
        var preorderEnabled = Flag("preorderEnabled");
        var preorderLimit = Number("preorderLimit");
        return new InventoryItemInput(
            new CatalogReferenceInput(Text("appId"), Text("catalogItemId"), null, Text("variantKey") ?? VariantKeys.Product),
            Text("locationId"),
            trackQuantity ? quantity ?? 0 : null,
            trackQuantity ? null : inStock ?? false,
            new PreorderInput(preorderEnabled ?? false, preorderLimit, Text("preorderMessage")),
            Number("lowStockThreshold"));
    }

    private static string Bool(bool value) => value ? "true" : "false";
}
