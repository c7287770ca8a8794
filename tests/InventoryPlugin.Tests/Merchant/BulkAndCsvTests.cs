using System.Net;
using System.Text.Json.Nodes;
using InventoryPlugin.Tests.Infrastructure;
using static InventoryPlugin.Tests.Merchant.MerchantCalls;

namespace InventoryPlugin.Tests.Merchant;

/// <summary>Contract part 3 and issue 3: bulk upsert under both error policies, and CSV export and import.</summary>
[TestFixtureSource(typeof(Stores), nameof(Stores.Both))]
public sealed class BulkAndCsvTests(StoreKind store) : MerchantFixture(store)
{
    private const string Header = "appId,catalogItemId,variantKey,locationId,trackQuantity,quantity,inStock,preorderEnabled,preorderLimit,preorderMessage";

    [TestCase(null)]
    [TestCase("ALL_OR_NOTHING")]
    public async Task All_or_nothing_with_one_bad_row_is_400_applies_nothing_and_reports_each_row(string? policy)
    {
        await Client.CreateAsync(Counted("mug", 1));
        var before = Plugin.Snapshot(Tenant);

        var answer = await BulkAsync(policy, Counted("shirt", 5), Counted("mug", 9), Counted("", 1), Counted("cap", 2));

        var results = answer.Json!["results"]!.AsArray();
        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.BadRequest), answer.ToString());
            Assert.That(answer.MediaType, Is.EqualTo(ProblemJson));
            Assert.That(answer.Code, Is.EqualTo("VALIDATION_FAILED"));
            Assert.That(results.Select(r => (r!["index"]!.GetValue<int>(), r["status"]!.GetValue<string>())),
                Is.EqualTo(new[] { (0, "skipped"), (1, "skipped"), (2, "invalid"), (3, "skipped") }));
            Assert.That(results[2]!["errors"]!.AsObject().Select(e => e.Key), Is.EqualTo(new[] { "items[2].catalogReference.catalogItemId" }));
            Assert.That(Plugin.Snapshot(Tenant), Is.EqualTo(before), "nothing was applied");
        });
    }

    [Test]
    public async Task Apply_valid_applies_the_good_rows_and_reports_the_bad_ones()
    {
        var mug = await Client.CreateAsync(Counted("mug", 1));

        var answer = await BulkAsync("APPLY_VALID",
            Counted("shirt", 5), Counted("mug", 9), Counted("cap", 2, locationId: "the back room"), Flagged("poster", true), Counted("mug", 1, locationId: Warehouse));

        var results = answer.Json!["results"]!.AsArray();
        var records = await Client.QueryAllAsync();
        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
            Assert.That(answer.Json["applied"]!.GetValue<bool>(), Is.True);
            Assert.That(results.Select(r => (r!["index"]!.GetValue<int>(), r["status"]!.GetValue<string>())),
                Is.EqualTo(new[] { (0, "created"), (1, "updated"), (2, "invalid"), (3, "created"), (4, "created") }));
            Assert.That(results[1]!["id"]!.GetValue<string>(), Is.EqualTo(mug.Id), "upserted by key");
            Assert.That(results[2]!["errors"]!.AsObject().Select(e => e.Key), Is.EqualTo(new[] { "items[2].locationId" }));
            Assert.That(results[2]!["id"], Is.Null);
            Assert.That(records.Select(r => (CatalogItemId(r), r["quantity"]!.GetValue<long>())),
                Is.EquivalentTo(new[] { ("shirt", 5L), ("mug", 9L), ("poster", 0L), ("mug", 1L) }));
            Assert.That(records.Any(r => CatalogItemId(r) == "cap"), Is.False);
        });
    }

    [Test]
    public async Task Upserting_an_existing_record_ledgers_the_difference_and_an_identical_row_changes_nothing()
    {
        var shirt = await Client.CreateAsync(Counted("shirt", 5));
        var cap = await Client.CreateAsync(Counted("cap", 2));

        var answer = await BulkAsync(null, Counted("shirt", 8), Counted("cap", 2));

        var shirtNow = await Client.GetItemAsync(shirt.Id);
        var capNow = await Client.GetItemAsync(cap.Id);
        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
            Assert.That(answer.Json!["results"]!.AsArray().Select(r => r!["status"]!.GetValue<string>()), Is.EqualTo(new[] { "updated", "unchanged" }));
            Assert.That(shirtNow["quantity"]!.GetValue<long>(), Is.EqualTo(8));
            Assert.That(capNow["revision"]!.GetValue<long>(), Is.EqualTo(cap.Revision), "an unchanged record keeps its revision");
            Assert.That(Plugin.Ledger(Tenant).Where(e => e.RecordId == shirt.Id).Select(e => (e.Operation, e.Delta, e.QuantityAfter)),
                Is.EqualTo(new[] { ("SET", 5L, 5L), ("SET", 3L, 8L) }));
        });
    }

    [Test]
    public async Task Two_rows_for_the_same_record_in_one_call_are_a_bad_row()
    {
        var answer = await BulkAsync(null, Counted("shirt", 5), Counted("shirt", 6));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.BadRequest), answer.ToString());
            Assert.That(answer.Json!["results"]![1]!["status"]!.GetValue<string>(), Is.EqualTo("invalid"));
            Assert.That(Plugin.Snapshot(Tenant), Is.Empty);
        });
    }

    [Test]
    public async Task A_thousand_rows_are_applied_in_one_call()
    {
        var answer = await BulkAsync(null, Enumerable.Range(0, 1000).Select(i => Counted($"item-{i}", i)).ToArray());

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), answer.ToString()[..Math.Min(500, answer.ToString().Length)]);
            Assert.That(Plugin.Snapshot(Tenant), Has.Count.EqualTo(1000));
        });
    }

    [TestCase(1001)]
    [TestCase(0)]
    public async Task A_call_with_more_than_1000_rows_or_none_is_400_and_applies_nothing(int rows)
    {
        var answer = await BulkAsync(null, Enumerable.Range(0, rows).Select(i => Counted($"item-{i}", 1)).ToArray());

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(answer.Code, Is.EqualTo("VALIDATION_FAILED"));
            Assert.That(answer.ErrorFields, Does.Contain("items"));
            Assert.That(Plugin.Snapshot(Tenant), Is.Empty);
        });
    }

    [Test]
    public async Task An_unknown_error_policy_is_400()
    {
        var answer = await BulkAsync("BEST_EFFORT", Counted("shirt", 1));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(answer.ErrorFields, Does.Contain("errorPolicy"));
        });
    }

    [Test]
    public async Task Export_is_csv_with_the_header_and_one_line_per_record()
    {
        var shirt = Counted("shirt", 5, locationId: Warehouse);
        shirt["lowStockThreshold"] = 2;
        await Client.CreateAsync(shirt);
        await Client.CreateAsync(Counted("book", -2, preorder: Preorder(5, "Ships \"soon\", maybe\nin May")));
        await Client.CreateAsync(Flagged("poster", true));

        using var response = await Client.GetAsync(new Uri("inventory-items/export", UriKind.Relative));
        var csv = await response.Content.ReadAsStringAsync();

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/csv"));
            Assert.That(csv, Does.StartWith(Header + ",allocated,available,lowStockThreshold\n"), "allocated and available are exported for reading; import ignores them");
            Assert.That(csv, Does.Contain($"{Envelopes.StoresAppId},shirt,,{Warehouse},true,5,false,false,,,0,5,2\n"), "inStock is the stored flag, which quantity tracking ignores");
            Assert.That(csv, Does.Contain($"{Envelopes.StoresAppId},book,,00000000-0000-0000-0000-000000000000,true,-2,false,true,5,\"Ships \"\"soon\"\", maybe\nin May\",0,-2,\n"));
            Assert.That(csv, Does.Contain($"{Envelopes.StoresAppId},poster,,00000000-0000-0000-0000-000000000000,false,0,true,false,,,0,0,\n"));
        });
    }

    [Test]
    public async Task Export_then_import_into_a_fresh_tenant_gives_identical_records()
    {
        await BulkAsync(null,
            Counted("shirt", 5, options: new JsonObject { ["options"] = new JsonObject { ["Size"] = "M", ["Color"] = "Red, dark" } }),
            Counted("shirt", 3, options: new JsonObject { ["variantId"] = "5f0b6a4e-6c1d-4b8e-9a0f-2a4c6e8b0d13" }),
            Counted("shirt", 0, locationId: Warehouse).With("lowStockThreshold", 3),
            Counted("book", 1, preorder: Preorder(4, "Ships \"soon\", maybe\nin May")),
            Counted("album", 0, preorder: Preorder(null, "  padded  ")),
            Flagged("poster", true),
            Flagged("cap", false, appId: "1380b703-ce81-ff05-f115-39571d94dfcd"));
        // Platform traffic moves quantities away from what was created, and creates a record of its own.
        await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("book", 3), Envelopes.Item("shirt", 2, locationId: Warehouse)], restrict: false));
        await Plugin.IncrementAsync(Envelopes.Increment(Tenant, [Envelopes.Item("returned-item", 2)]));
        var exported = await Client.ExportAsync();
        var freshTenant = PluginInstance.NewTenant();
        using var fresh = Plugin.Merchant(freshTenant);

        var import = await fresh.PostCsvAsync("inventory-items/import", exported);

        var reexported = await fresh.ExportAsync();
        var original = await Client.QueryAllAsync();
        var copy = await fresh.QueryAllAsync();
        Assert.Multiple(() =>
        {
            Assert.That(import.Status, Is.EqualTo(HttpStatusCode.OK), import.ToString());
            Assert.That(import.Json!["results"]!.AsArray().Select(r => r!["status"]!.GetValue<string>()), Has.All.EqualTo("created"));
            Assert.That(copy, Has.Count.EqualTo(8));
            Assert.That(copy.Select(Comparable), Is.EquivalentTo(original.Select(Comparable)));
            Assert.That(Lines(reexported), Is.EquivalentTo(Lines(exported)));
        });
    }

    [Test]
    public async Task Importing_an_export_again_leaves_every_record_unchanged()
    {
        await BulkAsync(null, Counted("shirt", 5), Counted("book", 0, preorder: Preorder(2, "later")), Flagged("poster", true));
        var before = Plugin.Snapshot(Tenant);

        var import = await Client.PostCsvAsync("inventory-items/import", await Client.ExportAsync());

        Assert.Multiple(() =>
        {
            Assert.That(import.Status, Is.EqualTo(HttpStatusCode.OK), import.ToString());
            Assert.That(import.Json!["results"]!.AsArray().Select(r => r!["status"]!.GetValue<string>()), Has.All.EqualTo("unchanged"));
            Assert.That(Plugin.Snapshot(Tenant), Is.EqualTo(before));
        });
    }

    [Test]
    public async Task A_csv_with_bad_rows_reports_each_by_its_line_and_applies_nothing()
    {
        var csv = string.Join('\n',
            Header,
            $"{Envelopes.StoresAppId},shirt,,,true,5,,false,,",
            $"{Envelopes.StoresAppId},book,,,true,0,,true,2,\"A message\nover two lines\"",
            $"{Envelopes.StoresAppId},mug,,,true,lots,,false,,",
            $"{Envelopes.StoresAppId},,,,true,1,,false,,",
            $"{Envelopes.StoresAppId},cap,,the back room,maybe,1,,false,,",
            $"{Envelopes.StoresAppId},poster,,,false,,true,false,,") + "\n";

        var answer = await Client.PostCsvAsync("inventory-items/import", csv);

        var results = answer.Json!["results"]!.AsArray();
        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.BadRequest), answer.ToString());
            Assert.That(answer.Code, Is.EqualTo("VALIDATION_FAILED"));
            Assert.That(results.Select(r => (r!["index"]!.GetValue<int>(), r["status"]!.GetValue<string>())),
                Is.EqualTo(new[] { (2, "skipped"), (3, "skipped"), (5, "invalid"), (6, "invalid"), (7, "invalid"), (8, "skipped") }),
                "rows are named by the line they start on; the quoted message spans lines 3 and 4");
            Assert.That(results[2]!["errors"]!.AsObject().Select(e => e.Key), Is.EqualTo(new[] { "quantity" }));
            Assert.That(results[3]!["errors"]!.AsObject().Select(e => e.Key), Is.EqualTo(new[] { "catalogReference.catalogItemId" }));
            Assert.That(results[4]!["errors"]!.AsObject().Select(e => e.Key), Is.EquivalentTo(new[] { "trackQuantity", "locationId" }),
                "every problem of a row at once");
            Assert.That(Plugin.Snapshot(Tenant), Is.Empty);
        });
    }

    [Test]
    public async Task A_csv_import_may_apply_the_valid_rows_and_report_the_rest()
    {
        var csv = string.Join('\n',
            Header,
            $"{Envelopes.StoresAppId},shirt,,,true,5,,false,,",
            $"{Envelopes.StoresAppId},mug,,,true,lots,,false,,",
            $"{Envelopes.StoresAppId},poster,,{Warehouse},false,,true,false,,");

        var answer = await Client.PostCsvAsync("inventory-items/import?errorPolicy=APPLY_VALID", csv);

        var records = await Client.QueryAllAsync();
        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
            Assert.That(answer.Json!["results"]!.AsArray().Select(r => (r!["index"]!.GetValue<int>(), r["status"]!.GetValue<string>())),
                Is.EqualTo(new[] { (2, "created"), (3, "invalid"), (4, "created") }));
            Assert.That(records.Select(CatalogItemId), Is.EquivalentTo(new[] { "shirt", "poster" }));
        });
    }

    [Test]
    public async Task A_spreadsheet_saved_csv_with_a_byte_order_mark_crlf_and_columns_in_another_order_imports()
    {
        var csv = "\uFEFFcatalogItemId,appId,quantity,trackQuantity,locationId,variantKey\r\n"
            + $"shirt,{Envelopes.StoresAppId},5,true,{Warehouse},\r\n"
            + $"\"mug, large\",{Envelopes.StoresAppId},2,true,,Color=Red\r\n";

        var answer = await Client.PostCsvAsync("inventory-items/import", csv);

        var records = await Client.QueryAllAsync();
        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
            Assert.That(records.Select(r => (CatalogItemId(r), r["catalogReference"]!["variantKey"]!.GetValue<string>(), r["locationId"]!.GetValue<string>(), r["quantity"]!.GetValue<long>())),
                Is.EquivalentTo(new[] { ("shirt", "", Warehouse, 5L), ("mug, large", "Color=Red", "00000000-0000-0000-0000-000000000000", 2L) }));
        });
    }

    [Test]
    public async Task A_csv_without_the_key_columns_is_400()
    {
        var answer = await Client.PostCsvAsync("inventory-items/import", "catalogItemId,quantity\nshirt,5\n");

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.BadRequest), answer.ToString());
            Assert.That(answer.ErrorFields, Does.Contain("header"));
            Assert.That(Plugin.Snapshot(Tenant), Is.Empty);
        });
    }

    [Test]
    public async Task An_empty_csv_is_400()
    {
        var answer = await Client.PostCsvAsync("inventory-items/import", "");

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.BadRequest), answer.ToString());
            Assert.That(answer.ErrorFields, Does.Contain("body"));
        });
    }

    private Task<MerchantAnswer> BulkAsync(string? policy, params JsonObject[] rows) =>
        Client.CallAsync(HttpMethod.Post, "inventory-items/bulk-upsert",
            new JsonObject { ["items"] = new JsonArray(rows.Select(r => (JsonNode)r).ToArray()), ["errorPolicy"] = policy });

    private static string CatalogItemId(JsonNode item) => item["catalogReference"]!["catalogItemId"]!.GetValue<string>();

    /// <summary>A record without what is the store's own (id, revision, dates, how it came to be).</summary>
    private static string Comparable(JsonNode item)
    {
        var copy = item.DeepClone().AsObject();
        foreach (var own in new[] { "id", "revision", "createdDate", "updatedDate", "autoCreated" })
        {
            copy.Remove(own);
        }

        return copy.ToJsonString();
    }

    private static string[] Lines(string csv) => csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
