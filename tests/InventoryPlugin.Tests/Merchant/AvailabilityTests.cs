using System.Net;
using System.Text.Json.Nodes;
using InventoryPlugin.Stock;
using InventoryPlugin.Tests.Infrastructure;
using static InventoryPlugin.Tests.Merchant.MerchantCalls;

namespace InventoryPlugin.Tests.Merchant;

/// <summary>
/// Contract part 3: availability resolves records exactly as the platform endpoints do, so what it
/// promises (<c>canFulfil</c>) is what a restricted decrement of that quantity then does.
/// </summary>
[TestFixtureSource(typeof(Stores), nameof(Stores.Both))]
public sealed class AvailabilityTests(StoreKind store) : MerchantFixture(store)
{
    public static IEnumerable<TestCaseData> StockStates()
    {
        static TestCaseData State(string name, JsonObject? record, int asked, bool canFulfil) =>
            new TestCaseData(record, asked, canFulfil).SetName($"Availability agrees with the platform: {name}");

        yield return State("plenty", Counted("item", 10), 3, true);
        yield return State("exactly enough", Counted("item", 3), 3, true);
        yield return State("short by one", Counted("item", 2), 3, false);
        yield return State("zero", Counted("item", 0), 1, false);
        yield return State("negative without preorder", Counted("item", -2), 1, false);
        yield return State("preorder within its limit", Counted("item", 1, preorder: Preorder(2)), 3, true);
        yield return State("preorder past its limit", Counted("item", 1, preorder: Preorder(2)), 4, false);
        yield return State("preorder limit used up", Counted("item", -2, preorder: Preorder(2)), 1, false);
        yield return State("preorder without a limit", Counted("item", -500, preorder: Preorder(null)), 100000, true);
        yield return State("preorder switched off", Counted("item", 0, preorder: new JsonObject { ["enabled"] = false, ["limit"] = 10 }), 1, false);
        yield return State("in stock", Flagged("item", true), 100000, true);
        yield return State("not in stock", Flagged("item", false), 1, false);
        yield return State("unknown item", null, 1, false);
    }

    [TestCaseSource(nameof(StockStates))]
    public async Task CanFulfil_true_means_the_restricted_decrement_succeeds_and_false_means_428(JsonObject? record, int asked, bool expected)
    {
        if (record is not null)
        {
            await Client.CreateAsync(record);
        }

        var availability = await AskAsync(new JsonObject { ["catalogReference"] = Reference("item"), ["quantity"] = asked });
        var canFulfil = availability.Json!["items"]![0]!["canFulfil"]!.GetValue<bool>();
        var decrement = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("item", asked)]));

        Assert.Multiple(() =>
        {
            Assert.That(canFulfil, Is.EqualTo(expected), availability.ToString());
            Assert.That(decrement.Status, Is.EqualTo(canFulfil ? 200 : 428), decrement.Body);
        });
    }

    [Test]
    public async Task Availability_describes_each_record_and_an_unknown_item()
    {
        var book = await Client.CreateAsync(Counted("book", -1, preorder: Preorder(3, "Ships in May")));
        await Client.CreateAsync(Flagged("poster", true, locationId: Warehouse));

        var answer = await AskAsync(
            new JsonObject { ["catalogReference"] = Reference("book"), ["quantity"] = 2 },
            new JsonObject { ["catalogReference"] = Reference("poster"), ["locationId"] = Warehouse },
            new JsonObject { ["catalogReference"] = Reference("ghost"), ["quantity"] = 1 });

        var items = answer.Json!["items"]!.AsArray();
        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
            Assert.That(items, Has.Count.EqualTo(3));

            Assert.That(items[0]!["found"]!.GetValue<bool>(), Is.True);
            Assert.That(items[0]!["id"]!.GetValue<string>(), Is.EqualTo(book.Id));
            Assert.That(items[0]!["trackQuantity"]!.GetValue<bool>(), Is.True);
            Assert.That(items[0]!["quantity"]!.GetValue<long>(), Is.EqualTo(-1));
            Assert.That(items[0]!["inStock"]!.GetValue<bool>(), Is.False);
            Assert.That(items[0]!["availabilityStatus"]!.GetValue<string>(), Is.EqualTo("PREORDER"));
            Assert.That(items[0]!["preorder"]!["enabled"]!.GetValue<bool>(), Is.True);
            Assert.That(items[0]!["preorder"]!["limit"]!.GetValue<long>(), Is.EqualTo(3));
            Assert.That(items[0]!["preorder"]!["remaining"]!.GetValue<long>(), Is.EqualTo(2));
            Assert.That(items[0]!["canFulfil"]!.GetValue<bool>(), Is.True);
            Assert.That(items[0]!["locationId"]!.GetValue<string>(), Is.EqualTo(TenantSettings.FixedDefaultLocationId));

            Assert.That(items[1]!["found"]!.GetValue<bool>(), Is.True);
            Assert.That(items[1]!["trackQuantity"]!.GetValue<bool>(), Is.False);
            Assert.That(items[1]!["inStock"]!.GetValue<bool>(), Is.True);
            Assert.That(items[1]!["availabilityStatus"]!.GetValue<string>(), Is.EqualTo("IN_STOCK"));
            Assert.That(items[1]!["canFulfil"], Is.Null, "no quantity asked, no verdict");

            Assert.That(items[2]!["found"]!.GetValue<bool>(), Is.False);
            Assert.That(items[2]!["availabilityStatus"]!.GetValue<string>(), Is.EqualTo("OUT_OF_STOCK"));
            Assert.That(items[2]!["canFulfil"]!.GetValue<bool>(), Is.False);
            Assert.That(items[2]!["catalogReference"]!["catalogItemId"]!.GetValue<string>(), Is.EqualTo("ghost"));
        });
    }

    [Test]
    public async Task A_variant_is_found_by_its_options_in_any_order_and_is_the_record_the_platform_decrements()
    {
        var red = await Client.CreateAsync(Counted("shirt", 2, options: new JsonObject { ["options"] = new JsonObject { ["Size"] = "M", ["Color"] = "Red" } }));
        await Client.CreateAsync(Counted("shirt", 50));
        var reordered = new JsonObject { ["options"] = new JsonObject { ["Color"] = "Red", ["Size"] = "M" }, ["customTextFields"] = new JsonObject { ["Name"] = "Ann" } };

        var availability = await AskAsync(new JsonObject { ["catalogReference"] = Reference("shirt", options: reordered), ["quantity"] = 3 });
        var decrement = await Plugin.DecrementAsync(Envelopes.Decrement(Tenant, [Envelopes.Item("shirt", 2, options: (JsonObject)reordered.DeepClone())]));

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(availability.Json!["items"]![0]!["id"]!.GetValue<string>(), Is.EqualTo(red.Id));
            Assert.That(availability.Json["items"]![0]!["catalogReference"]!["variantKey"]!.GetValue<string>(), Is.EqualTo("Color=Red;Size=M"));
            Assert.That(availability.Json["items"]![0]!["canFulfil"]!.GetValue<bool>(), Is.False, "only 2 of this variant, whatever the product has");
            Assert.That(decrement.Status, Is.EqualTo(200), decrement.Body);
            Assert.That((await Client.GetItemAsync(red.Id))["quantity"]!.GetValue<long>(), Is.EqualTo(0));
        });
    }

    [Test]
    public async Task Items_asked_for_at_a_location_are_judged_there()
    {
        await Client.CreateAsync(Counted("shirt", 5, locationId: Warehouse));

        var answer = await AskAsync(
            new JsonObject { ["catalogReference"] = Reference("shirt"), ["locationId"] = Warehouse.ToUpperInvariant(), ["quantity"] = 5 },
            new JsonObject { ["catalogReference"] = Reference("shirt"), ["quantity"] = 1 });

        Assert.Multiple(() =>
        {
            Assert.That(answer.Json!["items"]![0]!["canFulfil"]!.GetValue<bool>(), Is.True);
            Assert.That(answer.Json["items"]![0]!["locationId"]!.GetValue<string>(), Is.EqualTo(Warehouse));
            Assert.That(answer.Json["items"]![1]!["found"]!.GetValue<bool>(), Is.False, "the default location holds no shirt");
        });
    }

    [TestCase(0, TestName = "Availability for no items is 400")]
    [TestCase(301, TestName = "Availability for more than 300 items is 400")]
    public async Task Availability_takes_1_to_300_items(int count)
    {
        var answer = await AskAsync(Enumerable.Range(0, count).Select(i => new JsonObject { ["catalogReference"] = Reference($"item-{i}") }).ToArray());

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.BadRequest), answer.ToString());
            Assert.That(answer.MediaType, Is.EqualTo(ProblemJson));
            Assert.That(answer.ErrorFields, Does.Contain("items"));
        });
    }

    [Test]
    public async Task Availability_for_300_items_answers_each()
    {
        var answer = await AskAsync(Enumerable.Range(0, 300).Select(i => new JsonObject { ["catalogReference"] = Reference($"item-{i}"), ["quantity"] = 1 }).ToArray());

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
            Assert.That(answer.Json!["items"]!.AsArray(), Has.Count.EqualTo(300));
        });
    }

    [Test]
    public async Task Invalid_items_are_400_listing_every_one()
    {
        var answer = await AskAsync(
            new JsonObject { ["catalogReference"] = Reference("shirt"), ["quantity"] = 0 },
            new JsonObject { ["catalogReference"] = Reference(""), ["quantity"] = 1 },
            new JsonObject { ["catalogReference"] = Reference("shirt"), ["locationId"] = "the back room", ["quantity"] = 100001 });

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.BadRequest), answer.ToString());
            Assert.That(answer.Code, Is.EqualTo("VALIDATION_FAILED"));
            Assert.That(answer.ErrorFields, Is.EquivalentTo(new[]
            {
                "items[0].quantity", "items[1].catalogReference.catalogItemId", "items[2].quantity", "items[2].locationId",
            }));
        });
    }

    private Task<MerchantAnswer> AskAsync(params JsonObject[] items) =>
        Client.CallAsync(HttpMethod.Post, "availability", new JsonObject { ["items"] = new JsonArray(items.Select(i => (JsonNode)i).ToArray()) });
}
