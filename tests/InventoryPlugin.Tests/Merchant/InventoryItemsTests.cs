using System.Net;
using System.Text.Json.Nodes;
using InventoryPlugin.Stock;
using InventoryPlugin.Tests.Infrastructure;
using static InventoryPlugin.Tests.Merchant.MerchantCalls;

namespace InventoryPlugin.Tests.Merchant;

/// <summary>Contract part 3: create, read, patch, delete, adjust and query stock records.</summary>
[TestFixtureSource(typeof(Stores), nameof(Stores.Both))]
public sealed class InventoryItemsTests(StoreKind store) : MerchantFixture(store)
{
    private const string OtherAppId = "1380b703-ce81-ff05-f115-39571d94dfcd";

    [Test]
    public async Task Creating_a_record_answers_201_with_the_record_and_ledgers_its_quantity_as_a_SET()
    {
        var answer = await Client.CallAsync(HttpMethod.Post, "inventory-items", Counted("shirt", 7, locationId: Warehouse.ToUpperInvariant()));

        var record = answer.Json!;
        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.Created), answer.ToString());
            Assert.That(answer.Headers.Location?.ToString(), Does.EndWith($"inventory-items/{answer.Id}"));
            Assert.That(Guid.TryParse(answer.Id, out _), Is.True);
            Assert.That(record["catalogReference"]!["appId"]!.GetValue<string>(), Is.EqualTo(Envelopes.StoresAppId));
            Assert.That(record["catalogReference"]!["catalogItemId"]!.GetValue<string>(), Is.EqualTo("shirt"));
            Assert.That(record["catalogReference"]!["variantKey"]!.GetValue<string>(), Is.Empty);
            Assert.That(record["locationId"]!.GetValue<string>(), Is.EqualTo(Warehouse), "locations are stored in canonical form");
            Assert.That(record["trackQuantity"]!.GetValue<bool>(), Is.True);
            Assert.That(record["quantity"]!.GetValue<long>(), Is.EqualTo(7));
            Assert.That(record["inStock"]!.GetValue<bool>(), Is.True);
            Assert.That(record["availabilityStatus"]!.GetValue<string>(), Is.EqualTo("IN_STOCK"));
            Assert.That(record["autoCreated"]!.GetValue<bool>(), Is.False);
            Assert.That(answer.Revision, Is.EqualTo(1));
            Assert.That(record["createdDate"]!.GetValue<DateTimeOffset>(), Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(1)));
            Assert.That(Plugin.Ledger(Tenant).Select(e => (e.RecordId, e.Operation, e.Delta, e.QuantityAfter)),
                Is.EqualTo(new[] { (answer.Id, "SET", 7L, 7L) }));
        });
    }

    [Test]
    public async Task A_record_without_a_location_is_at_the_tenants_default_location()
    {
        var record = await Client.CreateAsync(Counted("shirt", 1));

        Assert.That(record.Json!["locationId"]!.GetValue<string>(), Is.EqualTo(TenantSettings.FixedDefaultLocationId));
    }

    [Test]
    public async Task Creating_the_same_record_twice_is_409_ALREADY_EXISTS_and_keeps_the_first()
    {
        var first = await Client.CreateAsync(Counted("shirt", 5, options: new JsonObject { ["options"] = new JsonObject { ["Size"] = "M", ["Color"] = "Red" } }));

        var again = await Client.CallAsync(HttpMethod.Post, "inventory-items",
            Counted("shirt", 9, options: new JsonObject { ["options"] = new JsonObject { ["Color"] = "Red", ["Size"] = "M" } }));
        var otherVariant = await Client.CallAsync(HttpMethod.Post, "inventory-items",
            Counted("shirt", 9, options: new JsonObject { ["options"] = new JsonObject { ["Color"] = "Blue", ["Size"] = "M" } }));

        var kept = await Client.GetItemAsync(first.Id);
        Assert.Multiple(() =>
        {
            Assert.That(again.Status, Is.EqualTo(HttpStatusCode.Conflict), again.ToString());
            Assert.That(again.MediaType, Is.EqualTo(ProblemJson));
            Assert.That(again.Code, Is.EqualTo("ALREADY_EXISTS"));
            Assert.That(again.Json!["existingId"]!.GetValue<string>(), Is.EqualTo(first.Id));
            Assert.That(kept["quantity"]!.GetValue<long>(), Is.EqualTo(5));
            Assert.That(otherVariant.Status, Is.EqualTo(HttpStatusCode.Created), "another variant is another record");
        });
    }

    [Test]
    public async Task An_invalid_record_is_400_listing_every_field_at_fault()
    {
        var answer = await Client.CallAsync(HttpMethod.Post, "inventory-items", new JsonObject
        {
            ["catalogReference"] = new JsonObject { ["appId"] = "", ["catalogItemId"] = new string('x', 37) },
            ["locationId"] = "the back room",
            ["quantity"] = 5,
            ["inStock"] = true,
            ["preorder"] = new JsonObject { ["enabled"] = true, ["limit"] = -1 },
        });

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.BadRequest), answer.ToString());
            Assert.That(answer.MediaType, Is.EqualTo(ProblemJson));
            Assert.That(answer.Code, Is.EqualTo("VALIDATION_FAILED"));
            Assert.That(answer.ErrorFields, Is.SupersetOf(new[]
            {
                "catalogReference.appId", "catalogReference.catalogItemId", "locationId", "quantity", "preorder.limit",
            }));
            Assert.That(Plugin.Snapshot(Tenant), Is.Empty);
        });
    }

    [Test]
    public async Task A_body_of_the_wrong_type_is_400_naming_the_field()
    {
        var answer = await Client.CallAsync(HttpMethod.Post, "inventory-items", new JsonObject
        {
            ["catalogReference"] = Reference("shirt"),
            ["quantity"] = "lots",
        });

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.BadRequest), answer.ToString());
            Assert.That(answer.MediaType, Is.EqualTo(ProblemJson));
            Assert.That(answer.Code, Is.Not.Null);
            Assert.That(answer.ErrorFields, Does.Contain("quantity"));
        });
    }

    [TestCase(5, false, null, "IN_STOCK", null)]
    [TestCase(0, false, null, "OUT_OF_STOCK", null)]
    [TestCase(-1, false, null, "OUT_OF_STOCK", null)]
    [TestCase(3, true, 5L, "IN_STOCK", 5L)]
    [TestCase(0, true, 5L, "PREORDER", 5L)]
    [TestCase(-2, true, 5L, "PREORDER", 3L)]
    [TestCase(-5, true, 5L, "OUT_OF_STOCK", 0L)]
    [TestCase(-50, true, null, "PREORDER", null)]
    public async Task A_record_shows_its_availability_status_and_remaining_preorder(long quantity, bool preorder, long? limit, string status, long? remaining)
    {
        var created = await Client.CreateAsync(Counted("book", quantity, preorder: preorder ? Preorder(limit, "Ships in May") : null));

        var record = await Client.GetItemAsync(created.Id);

        Assert.Multiple(() =>
        {
            Assert.That(record["availabilityStatus"]!.GetValue<string>(), Is.EqualTo(status));
            Assert.That(record["preorder"]!["enabled"]!.GetValue<bool>(), Is.EqualTo(preorder));
            Assert.That(record["preorder"]!["limit"]?.GetValue<long>(), Is.EqualTo(limit));
            Assert.That(record["preorder"]!["remaining"]?.GetValue<long>(), Is.EqualTo(remaining));
            Assert.That(record["preorder"]!["message"]?.GetValue<string>(), Is.EqualTo(preorder ? "Ships in May" : null));
        });
    }

    [TestCase(true, "IN_STOCK")]
    [TestCase(false, "OUT_OF_STOCK")]
    public async Task An_in_stock_tracked_record_shows_its_flag_as_the_status(bool inStock, string status)
    {
        var created = await Client.CreateAsync(Flagged("poster", inStock));

        var record = await Client.GetItemAsync(created.Id);

        Assert.Multiple(() =>
        {
            Assert.That(record["trackQuantity"]!.GetValue<bool>(), Is.False);
            Assert.That(record["inStock"]!.GetValue<bool>(), Is.EqualTo(inStock));
            Assert.That(record["availabilityStatus"]!.GetValue<string>(), Is.EqualTo(status));
        });
    }

    [Test]
    public async Task An_unknown_id_is_404()
    {
        var byGuid = await Client.CallAsync(HttpMethod.Get, $"inventory-items/{Guid.NewGuid()}");
        var byNonsense = await Client.CallAsync(HttpMethod.Get, "inventory-items/nonsense");

        Assert.Multiple(() =>
        {
            Assert.That(byGuid.Status, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(byGuid.Code, Is.EqualTo("NOT_FOUND"));
            Assert.That(byGuid.MediaType, Is.EqualTo(ProblemJson));
            Assert.That(byNonsense.Status, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    [Test]
    public async Task Patching_with_a_stale_revision_is_409_REVISION_MISMATCH_and_changes_nothing()
    {
        var created = await Client.CreateAsync(Counted("shirt", 5));
        var first = await Client.CallAsync(HttpMethod.Patch, $"inventory-items/{created.Id}", new JsonObject { ["revision"] = created.Revision, ["quantity"] = 8 });

        var stale = await Client.CallAsync(HttpMethod.Patch, $"inventory-items/{created.Id}", new JsonObject { ["revision"] = created.Revision, ["quantity"] = 0 });

        var record = await Client.GetItemAsync(created.Id);
        Assert.Multiple(() =>
        {
            Assert.That(first.Status, Is.EqualTo(HttpStatusCode.OK), first.ToString());
            Assert.That(first.Revision, Is.EqualTo(created.Revision + 1));
            Assert.That(stale.Status, Is.EqualTo(HttpStatusCode.Conflict), stale.ToString());
            Assert.That(stale.MediaType, Is.EqualTo(ProblemJson));
            Assert.That(stale.Code, Is.EqualTo("REVISION_MISMATCH"));
            Assert.That(stale.Json!["currentRevision"]!.GetValue<long>(), Is.EqualTo(first.Revision));
            Assert.That(record["quantity"]!.GetValue<long>(), Is.EqualTo(8));
            Assert.That(record["revision"]!.GetValue<long>(), Is.EqualTo(first.Revision));
            Assert.That(Plugin.Ledger(Tenant), Has.Count.EqualTo(2), "the create and the first patch");
        });
    }

    [Test]
    public async Task A_platform_decrement_moves_the_revision_so_a_patch_read_before_it_is_refused()
    {
        var created = await Client.CreateAsync(Counted("shirt", 5));
        await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 1)]));

        var patch = await Client.CallAsync(HttpMethod.Patch, $"inventory-items/{created.Id}", new JsonObject { ["revision"] = created.Revision, ["quantity"] = 10 });

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(patch.Status, Is.EqualTo(HttpStatusCode.Conflict), patch.ToString());
            Assert.That((await Client.GetItemAsync(created.Id))["quantity"]!.GetValue<long>(), Is.EqualTo(4));
        });
    }

    [Test]
    public async Task Patching_without_a_revision_is_400()
    {
        var created = await Client.CreateAsync(Counted("shirt", 5));

        var answer = await Client.CallAsync(HttpMethod.Patch, $"inventory-items/{created.Id}", new JsonObject { ["quantity"] = 1 });

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.BadRequest), answer.ToString());
            Assert.That(answer.Code, Is.EqualTo("VALIDATION_FAILED"));
            Assert.That(answer.ErrorFields, Does.Contain("revision"));
        });
    }

    [Test]
    public async Task Patching_the_quantity_is_a_SET_ledgered_as_the_difference()
    {
        var created = await Client.CreateAsync(Counted("shirt", 5));
        await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 2)]));
        var current = await Client.GetItemAsync(created.Id);

        var answer = await Client.CallAsync(HttpMethod.Patch, $"inventory-items/{created.Id}",
            new JsonObject { ["revision"] = current["revision"]!.GetValue<long>(), ["quantity"] = 10 });

        var ledger = Plugin.Ledger(Tenant);
        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
            Assert.That(answer.Json!["quantity"]!.GetValue<long>(), Is.EqualTo(10));
            Assert.That(ledger.Select(e => (e.Operation, e.Delta, e.QuantityAfter)),
                Is.EqualTo(new[] { ("SET", 5L, 5L), ("DECREMENT", -2L, 3L), ("SET", 7L, 10L) }));
            Assert.That(ledger.Sum(e => e.Delta), Is.EqualTo(10), "the quantity is the sum of the deltas");
            Assert.That(ledger[^1].ActorType, Is.EqualTo("MERCHANT"));
        });
    }

    [Test]
    public async Task Patching_can_switch_tracking_and_open_a_preorder()
    {
        var counted = await Client.CreateAsync(Counted("shirt", 0));
        var book = await Client.CreateAsync(Counted("book", 0));

        var flagged = await Client.CallAsync(HttpMethod.Patch, $"inventory-items/{counted.Id}",
            new JsonObject { ["revision"] = counted.Revision, ["trackQuantity"] = false, ["inStock"] = true });
        var preorder = await Client.CallAsync(HttpMethod.Patch, $"inventory-items/{book.Id}",
            new JsonObject { ["revision"] = book.Revision, ["preorder"] = Preorder(2) });

        Assert.Multiple(() =>
        {
            Assert.That(flagged.Status, Is.EqualTo(HttpStatusCode.OK), flagged.ToString());
            Assert.That(flagged.Json!["trackQuantity"]!.GetValue<bool>(), Is.False);
            Assert.That(flagged.Json["availabilityStatus"]!.GetValue<string>(), Is.EqualTo("IN_STOCK"));
            Assert.That(preorder.Status, Is.EqualTo(HttpStatusCode.OK), preorder.ToString());
            Assert.That(preorder.Json!["availabilityStatus"]!.GetValue<string>(), Is.EqualTo("PREORDER"));
            Assert.That(preorder.Json["preorder"]!["remaining"]!.GetValue<long>(), Is.EqualTo(2));
        });
    }

    [Test]
    public async Task Deleting_answers_204_then_404_and_the_ledger_entries_stay()
    {
        var created = await Client.CreateAsync(Counted("shirt", 5));
        await Client.CallAsync(HttpMethod.Post, $"inventory-items/{created.Id}/adjust", new JsonObject { ["delta"] = -1 });

        var deleted = await Client.CallAsync(HttpMethod.Delete, $"inventory-items/{created.Id}");
        var get = await Client.CallAsync(HttpMethod.Get, $"inventory-items/{created.Id}");
        var deletedAgain = await Client.CallAsync(HttpMethod.Delete, $"inventory-items/{created.Id}");
        var entries = await Client.LedgerAsync($"itemId={created.Id}");
        var recreated = await Client.CallAsync(HttpMethod.Post, "inventory-items", Counted("shirt", 1));

        Assert.Multiple(() =>
        {
            Assert.That(deleted.Status, Is.EqualTo(HttpStatusCode.NoContent), deleted.ToString());
            Assert.That(deleted.Body, Is.Empty);
            Assert.That(get.Status, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(deletedAgain.Status, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(deletedAgain.Code, Is.EqualTo("NOT_FOUND"));
            Assert.That(entries.Select(e => e["operation"]!.GetValue<string>()), Is.EqualTo(new[] { "SET", "ADJUST" }));
            Assert.That(recreated.Status, Is.EqualTo(HttpStatusCode.Created), "the key is free again");
            Assert.That(recreated.Id, Is.Not.EqualTo(created.Id));
        });
    }

    [Test]
    public async Task Adjusting_adds_the_delta_and_writes_an_ADJUST_entry_with_the_reason()
    {
        var created = await Client.CreateAsync(Counted("shirt", 5));

        var up = await Client.CallAsync(HttpMethod.Post, $"inventory-items/{created.Id}/adjust", new JsonObject { ["delta"] = 3, ["reason"] = "recount" });
        var down = await Client.CallAsync(HttpMethod.Post, $"inventory-items/{created.Id}/adjust", new JsonObject { ["delta"] = -10, ["reason"] = "flood" });

        Assert.Multiple(() =>
        {
            Assert.That(up.Status, Is.EqualTo(HttpStatusCode.OK), up.ToString());
            Assert.That(up.Json!["quantity"]!.GetValue<long>(), Is.EqualTo(8));
            Assert.That(up.Revision, Is.EqualTo(2));
            Assert.That(down.Status, Is.EqualTo(HttpStatusCode.OK), "without restrict the stock may go negative");
            Assert.That(down.Json!["quantity"]!.GetValue<long>(), Is.EqualTo(-2));
            Assert.That(Plugin.Ledger(Tenant).Skip(1).Select(e => (e.Operation, e.Delta, e.QuantityAfter, e.Reason)),
                Is.EqualTo(new[] { ("ADJUST", 3L, 8L, "recount"), ("ADJUST", -10L, -2L, "flood") }));
        });
    }

    [Test]
    public async Task A_restricted_adjustment_below_the_floor_is_409_INSUFFICIENT_STOCK_and_changes_nothing()
    {
        var created = await Client.CreateAsync(Counted("shirt", 5));

        var refused = await Client.CallAsync(HttpMethod.Post, $"inventory-items/{created.Id}/adjust", new JsonObject { ["delta"] = -6, ["restrict"] = true });
        var toZero = await Client.CallAsync(HttpMethod.Post, $"inventory-items/{created.Id}/adjust", new JsonObject { ["delta"] = -5, ["restrict"] = true });
        var increase = await Client.CallAsync(HttpMethod.Post, $"inventory-items/{created.Id}/adjust", new JsonObject { ["delta"] = 1, ["restrict"] = true });

        Assert.Multiple(() =>
        {
            Assert.That(refused.Status, Is.EqualTo(HttpStatusCode.Conflict), refused.ToString());
            Assert.That(refused.MediaType, Is.EqualTo(ProblemJson));
            Assert.That(refused.Code, Is.EqualTo("INSUFFICIENT_STOCK"));
            Assert.That(refused.Json!["availableQuantity"]!.GetValue<long>(), Is.EqualTo(5));
            Assert.That(toZero.Status, Is.EqualTo(HttpStatusCode.OK), "down to the floor is allowed");
            Assert.That(increase.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Plugin.Ledger(Tenant).Select(e => e.Delta), Is.EqualTo(new[] { 5L, -5L, 1L }), "the refused adjustment wrote nothing");
        });
    }

    [Test]
    public async Task A_restricted_adjustment_may_use_the_preorder_limit_and_no_more()
    {
        var created = await Client.CreateAsync(Counted("book", 1, preorder: Preorder(3)));

        var withinLimit = await Client.CallAsync(HttpMethod.Post, $"inventory-items/{created.Id}/adjust", new JsonObject { ["delta"] = -4, ["restrict"] = true });
        var pastLimit = await Client.CallAsync(HttpMethod.Post, $"inventory-items/{created.Id}/adjust", new JsonObject { ["delta"] = -1, ["restrict"] = true });

        Assert.Multiple(() =>
        {
            Assert.That(withinLimit.Status, Is.EqualTo(HttpStatusCode.OK), withinLimit.ToString());
            Assert.That(withinLimit.Json!["quantity"]!.GetValue<long>(), Is.EqualTo(-3));
            Assert.That(pastLimit.Status, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(pastLimit.Code, Is.EqualTo("INSUFFICIENT_STOCK"));
        });
    }

    [TestCase(0)]
    [TestCase(null)]
    public async Task An_adjustment_needs_a_nonzero_delta(int? delta)
    {
        var created = await Client.CreateAsync(Counted("shirt", 5));

        var answer = await Client.CallAsync(HttpMethod.Post, $"inventory-items/{created.Id}/adjust", new JsonObject { ["delta"] = delta });

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.BadRequest), answer.ToString());
            Assert.That(answer.ErrorFields, Does.Contain("delta"));
        });
    }

    [Test]
    public async Task Query_filters_by_app_catalog_item_location_and_availability_status()
    {
        var ids = new Dictionary<string, string>
        {
            ["shirt here"] = (await Client.CreateAsync(Counted("shirt", 5))).Id,
            ["shirt in warehouse"] = (await Client.CreateAsync(Counted("shirt", 0, locationId: Warehouse))).Id,
            ["book on preorder"] = (await Client.CreateAsync(Counted("book", 0, preorder: Preorder(null)))).Id,
            ["poster of another app"] = (await Client.CreateAsync(Flagged("poster", true, locationId: Warehouse, appId: OtherAppId))).Id,
            ["cap sold out"] = (await Client.CreateAsync(Flagged("cap", false))).Id,
        };

        async Task<string[]> Found(JsonObject filter)
        {
            var items = await Client.QueryAllAsync(filter);
            return items.Select(i => ids.Single(p => p.Value == i["id"]!.GetValue<string>()).Key).Order().ToArray();
        }

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(await Found([]), Is.EquivalentTo(ids.Keys));
            Assert.That(await Found(new JsonObject { ["appId"] = OtherAppId }), Is.EqualTo(new[] { "poster of another app" }));
            Assert.That(await Found(new JsonObject { ["catalogItemId"] = "shirt" }), Is.EqualTo(new[] { "shirt here", "shirt in warehouse" }));
            Assert.That(await Found(new JsonObject { ["locationId"] = Warehouse.ToUpperInvariant() }), Is.EqualTo(new[] { "poster of another app", "shirt in warehouse" }));
            Assert.That(await Found(new JsonObject { ["availabilityStatus"] = "IN_STOCK" }), Is.EqualTo(new[] { "poster of another app", "shirt here" }));
            Assert.That(await Found(new JsonObject { ["availabilityStatus"] = "PREORDER" }), Is.EqualTo(new[] { "book on preorder" }));
            Assert.That(await Found(new JsonObject { ["availabilityStatus"] = "OUT_OF_STOCK" }), Is.EqualTo(new[] { "cap sold out", "shirt in warehouse" }));
            Assert.That(await Found(new JsonObject { ["catalogItemId"] = "shirt", ["availabilityStatus"] = "OUT_OF_STOCK" }), Is.EqualTo(new[] { "shirt in warehouse" }));
            Assert.That(await Found(new JsonObject { ["catalogItemId"] = "nothing" }), Is.Empty);
        });
    }

    [TestCase("""{"limit":1001}""", "limit", TestName = "A page of more than 1000 records is 400")]
    [TestCase("""{"limit":0}""", "limit", TestName = "A page of no records is 400")]
    [TestCase("""{"cursor":"@@ not a cursor @@"}""", "cursor", TestName = "A cursor the API did not return is 400")]
    [TestCase("""{"filter":{"availabilityStatus":"SOLD"}}""", "filter.availabilityStatus", TestName = "An unknown availability status is 400")]
    [TestCase("""{"filter":{"locationId":"the back room"}}""", "filter.locationId", TestName = "A location that is not a GUID is 400")]
    public async Task An_invalid_query_is_400(string body, string field)
    {
        var answer = await Client.CallAsync(HttpMethod.Post, "inventory-items/query", JsonNode.Parse(body));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.BadRequest), answer.ToString());
            Assert.That(answer.MediaType, Is.EqualTo(ProblemJson));
            Assert.That(answer.Code, Is.EqualTo("VALIDATION_FAILED"));
            Assert.That(answer.ErrorFields, Does.Contain(field));
        });
    }

    [Test]
    public async Task A_page_of_1000_records_is_allowed()
    {
        var answer = await Client.CallAsync(HttpMethod.Post, "inventory-items/query", new JsonObject { ["limit"] = 1000 });

        Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
    }

    [Test]
    public async Task Cursor_paging_returns_every_record_exactly_once_while_records_are_being_added()
    {
        var existing = await CreateManyAsync("before", 25);
        var pages = new List<List<string>>();
        var added = 0;
        string? cursor = null;
        do
        {
            var answer = await Client.CallAsync(HttpMethod.Post, "inventory-items/query", new JsonObject { ["cursor"] = cursor, ["limit"] = 7 });
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
            pages.Add(answer.Json!["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()).ToList());
            cursor = answer.Json["nextCursor"]?.GetValue<string>();

            // Between two page fetches, other merchants' tools keep adding records.
            await CreateManyAsync($"during-{added++}", 3);
            Assert.That(pages, Has.Count.LessThan(50), "paging must end");
        }
        while (cursor is not null);

        var seen = pages.SelectMany(p => p).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(seen, Is.Unique, "no record is returned twice");
            Assert.That(existing, Is.SubsetOf(seen), "no record that existed before paging began is missed");
            Assert.That(pages.Take(pages.Count - 1), Has.All.Count.EqualTo(7), "every page but the last is full");
        });
    }

    [Test]
    public async Task Paging_with_a_status_filter_skips_non_matching_records_without_losing_any()
    {
        var rows = new JsonArray();
        for (var i = 0; i < 40; i++)
        {
            rows.Add(Counted($"item-{i:D2}", i % 4 == 0 ? 3 : 0));
        }

        var bulk = await Client.CallAsync(HttpMethod.Post, "inventory-items/bulk-upsert", new JsonObject { ["items"] = rows });
        Assert.That(bulk.Status, Is.EqualTo(HttpStatusCode.OK), bulk.ToString());

        var inStock = await Client.QueryAllAsync(new JsonObject { ["availabilityStatus"] = "IN_STOCK" }, limit: 3);
        var outOfStock = await Client.QueryAllAsync(new JsonObject { ["availabilityStatus"] = "OUT_OF_STOCK" }, limit: 7);

        Assert.Multiple(() =>
        {
            Assert.That(inStock.Select(CatalogItemId), Is.EquivalentTo(Enumerable.Range(0, 40).Where(i => i % 4 == 0).Select(i => $"item-{i:D2}")));
            Assert.That(outOfStock.Select(CatalogItemId), Is.Unique);
            Assert.That(outOfStock, Has.Count.EqualTo(30));
        });
    }

    private async Task<List<string>> CreateManyAsync(string prefix, int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            ids.Add((await Client.CreateAsync(Counted($"{prefix}-{i}", i))).Id);
        }

        return ids;
    }

    private static string CatalogItemId(JsonNode item) => item["catalogReference"]!["catalogItemId"]!.GetValue<string>();
}
