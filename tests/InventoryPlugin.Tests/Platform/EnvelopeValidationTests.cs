using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using InventoryPlugin.Tests.Infrastructure;
using Microsoft.IdentityModel.Tokens;

namespace InventoryPlugin.Tests.Platform;

/// <summary>
/// Contract 1.2–1.4: a verified token whose envelope breaks a rule is a 400 INVALID_ARGUMENT naming
/// every offending field (paths relative to the <c>data</c> claim), and changes nothing; what the
/// contract says to tolerate is applied.
/// </summary>
public sealed class EnvelopeValidationTests
{
    private PluginInstance _plugin = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _plugin = await PluginInstance.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _plugin.DisposeAsync();

    /// <summary>Each case edits a valid one-item decrement of sku-1 (restricted, quantity 1) and names the field it breaks.</summary>
    public static IEnumerable<TestCaseData> BrokenEnvelopes()
    {
        yield return Case("data null", "data", (t, _) => t.Sign(null));
        yield return Case("data claim absent", "data", (t, d) => t.Sign(d, c => c.Remove("data")));
        yield return Case("data a string", "data", (t, d) => t.Sign(JsonValue.Create(d.ToJsonString())));
        yield return Case("data an array", "data", (t, d) => t.Sign(new JsonArray(d.DeepClone())));
        yield return Case("metadata missing", "metadata", Edit(d => d.Remove("metadata")));
        yield return Case("metadata a string", "metadata", Edit(d => d["metadata"] = "metadata"));
        yield return Case("request missing", "request", Edit(d => d.Remove("request")));
        yield return Case("instanceId missing", "metadata.instanceId", Edit(d => Metadata(d).Remove("instanceId")));
        yield return Case("instanceId null", "metadata.instanceId", Edit(d => Metadata(d)["instanceId"] = null));
        yield return Case("instanceId not a GUID", "metadata.instanceId", Edit(d => Metadata(d)["instanceId"] = "site-1"));
        yield return Case("appExtensionType ECOM_PAYMENTS", "metadata.appExtensionType", Edit(d => Metadata(d)["appExtensionType"] = "ECOM_PAYMENTS"));
        yield return Case("appExtensionType a number", "metadata.appExtensionType", Edit(d => Metadata(d)["appExtensionType"] = 7));
        yield return Case("requestId a number", "metadata.requestId", Edit(d => Metadata(d)["requestId"] = 12345));
        yield return Case("items missing", "request.items", Edit(d => Request(d).Remove("items")));
        yield return Case("items null", "request.items", Edit(d => Request(d)["items"] = null));
        yield return Case("items an object", "request.items", Edit(d => Request(d)["items"] = Envelopes.Item("sku-1", 1)));
        yield return Case("items a string", "request.items", Edit(d => Request(d)["items"] = "sku-1"));
        yield return Case("items empty", "request.items", Edit(d => Request(d)["items"] = new JsonArray()));
        yield return Case("301 items", "request.items", Edit(d => Request(d)["items"] = Items(301)));
        yield return Case("item a string", "request.items[0]", Edit(d => Request(d)["items"] = new JsonArray("sku-1")));
        yield return Case("item null", "request.items[0]", Edit(d => Request(d)["items"] = new JsonArray((JsonNode?)null)));
        yield return Case("catalogReference missing", "request.items[0].catalogReference", Edit(d => Item0(d).Remove("catalogReference")));
        yield return Case("catalogReference a string", "request.items[0].catalogReference", Edit(d => Item0(d)["catalogReference"] = "sku-1"));
        yield return Case("catalogItemId missing", "request.items[0].catalogReference.catalogItemId", Edit(d => Reference0(d).Remove("catalogItemId")));
        yield return Case("catalogItemId empty", "request.items[0].catalogReference.catalogItemId", Edit(d => Reference0(d)["catalogItemId"] = ""));
        yield return Case("catalogItemId 37 characters", "request.items[0].catalogReference.catalogItemId", Edit(d => Reference0(d)["catalogItemId"] = new string('x', 37)));
        yield return Case("catalogItemId a number", "request.items[0].catalogReference.catalogItemId", Edit(d => Reference0(d)["catalogItemId"] = 42));
        yield return Case("appId missing", "request.items[0].catalogReference.appId", Edit(d => Reference0(d).Remove("appId")));
        yield return Case("appId empty", "request.items[0].catalogReference.appId", Edit(d => Reference0(d)["appId"] = ""));
        yield return Case("options a string", "request.items[0].catalogReference.options", Edit(d => Reference0(d)["options"] = "Size=M"));
        yield return Case("options an array", "request.items[0].catalogReference.options", Edit(d => Reference0(d)["options"] = new JsonArray("M")));
        yield return Case("locationId not a GUID", "request.items[0].locationId", Edit(d => Item0(d)["locationId"] = "not-a-guid"));
        yield return Case("quantity 0", "request.items[0].quantity", Edit(d => Item0(d)["quantity"] = 0));
        yield return Case("quantity -1", "request.items[0].quantity", Edit(d => Item0(d)["quantity"] = -1));
        yield return Case("quantity 100001", "request.items[0].quantity", Edit(d => Item0(d)["quantity"] = 100_001));
        yield return Case("quantity 2.5", "request.items[0].quantity", Edit(d => Item0(d)["quantity"] = 2.5));
        yield return Case("quantity a string", "request.items[0].quantity", Edit(d => Item0(d)["quantity"] = "5"));
        yield return Case("quantity missing", "request.items[0].quantity", Edit(d => Item0(d).Remove("quantity")));
        yield return Case("quantity null", "request.items[0].quantity", Edit(d => Item0(d)["quantity"] = null));
        yield return Case("subscriptionItem a string", "request.items[0].subscriptionItem", Edit(d => Item0(d)["subscriptionItem"] = "no"));
        yield return Case("restrictInventoryValue a string", "request.restrictInventoryValue", Edit(d => Request(d)["restrictInventoryValue"] = "yes"));
        yield return Case("restrictInventoryValue a number", "request.restrictInventoryValue", Edit(d => Request(d)["restrictInventoryValue"] = 0));
        yield return Case("orderId missing", "request.orderId", Edit(d => Request(d).Remove("orderId")));
        yield return Case("orderId null", "request.orderId", Edit(d => Request(d)["orderId"] = null));
        yield return Case("orderId not a GUID", "request.orderId", Edit(d => Request(d)["orderId"] = "order-1"));
        yield return Case("reason a number", "request.reason", Edit(d => Request(d)["reason"] = 3));
    }

    [TestCaseSource(nameof(BrokenEnvelopes))]
    public async Task A_broken_envelope_is_rejected_with_its_field_path_and_changes_nothing(Func<PlatformTokens, JsonObject, string> token, string field)
    {
        var tenant = PluginInstance.NewTenant();
        var sku = await _plugin.SeedAsync(tenant, "sku-1", 10);
        var snapshot = _plugin.Snapshot(tenant);
        var ledger = _plugin.Ledger(tenant);

        var answer = await _plugin.SendAsync("/v1/decrement", token(_plugin.Tokens, ValidDecrement(tenant)));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(400), answer.Body);
            Assert.That(answer.ContentType, Is.EqualTo("application/json"));
            Assert.That(answer.ErrorCode, Is.EqualTo("INVALID_ARGUMENT"));
            Assert.That(Violations(answer).Select(v => v.Field), Does.Contain(field));
            Assert.That(Violations(answer).Select(v => v.Description), Has.All.Not.Empty);
            Assert.That(_plugin.Snapshot(tenant), Is.EqualTo(snapshot));
            Assert.That(_plugin.Ledger(tenant), Is.EqualTo(ledger));
            Assert.That(_plugin.QuantityOf(sku), Is.EqualTo(10));
        });
    }

    [Test]
    public async Task Every_violation_in_one_envelope_is_listed_not_just_the_first()
    {
        var tenant = PluginInstance.NewTenant();
        await _plugin.SeedAsync(tenant, "sku-1", 10);
        var snapshot = _plugin.Snapshot(tenant);
        var ledger = _plugin.Ledger(tenant);
        var envelope = Envelopes.Decrement(tenant, [Envelopes.Item("sku-1", 0), Envelopes.Item("sku-1", 1), Envelopes.Item(new string('x', 37), 1)]);
        Request(envelope).Remove("orderId");
        Metadata(envelope)["appExtensionType"] = "ECOM_PAYMENTS";

        var answer = await _plugin.DecrementAsync(envelope);

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(400), answer.Body);
            Assert.That(answer.ErrorCode, Is.EqualTo("INVALID_ARGUMENT"));
            Assert.That(Violations(answer).Select(v => v.Field), Is.EquivalentTo(new[]
            {
                "metadata.appExtensionType",
                "request.items[0].quantity",
                "request.items[2].catalogReference.catalogItemId",
                "request.orderId",
            }));
            Assert.That(_plugin.Snapshot(tenant), Is.EqualTo(snapshot));
            Assert.That(_plugin.Ledger(tenant), Is.EqualTo(ledger));
        });
    }

    [Test]
    public async Task Several_violations_on_one_item_are_all_listed()
    {
        var tenant = PluginInstance.NewTenant();
        var envelope = Envelopes.Decrement(tenant, [Envelopes.Item("", 0, locationId: "not-a-guid", appId: "")]);
        Item0(envelope)["subscriptionItem"] = "no";

        var answer = await _plugin.DecrementAsync(envelope);

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(400), answer.Body);
            Assert.That(Violations(answer).Select(v => v.Field), Is.EquivalentTo(new[]
            {
                "request.items[0].catalogReference.catalogItemId",
                "request.items[0].catalogReference.appId",
                "request.items[0].locationId",
                "request.items[0].quantity",
                "request.items[0].subscriptionItem",
            }));
        });
    }

    [Test]
    public async Task A_broken_increment_is_rejected_like_a_decrement()
    {
        var tenant = PluginInstance.NewTenant();
        await _plugin.SeedAsync(tenant, "sku-1", 10);
        var snapshot = _plugin.Snapshot(tenant);
        var envelope = Envelopes.Increment(tenant, [Envelopes.Item("sku-1", 100_001)]);

        var answer = await _plugin.IncrementAsync(envelope);

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(400), answer.Body);
            Assert.That(answer.ErrorCode, Is.EqualTo("INVALID_ARGUMENT"));
            Assert.That(Violations(answer).Select(v => v.Field), Is.EquivalentTo(new[] { "request.items[0].quantity" }));
            Assert.That(_plugin.Snapshot(tenant), Is.EqualTo(snapshot));
        });
    }

    [TestCase("ecom_inventory")]
    [TestCase("Ecom_Inventory")]
    [TestCase("ECOM_INVENTORY")]
    public async Task The_extension_type_is_compared_without_regard_to_case(string appExtensionType)
    {
        await AssertAppliedAsync(d => Metadata(d)["appExtensionType"] = appExtensionType);
    }

    [Test]
    public async Task A_missing_extension_type_is_accepted()
    {
        await AssertAppliedAsync(d => Metadata(d).Remove("appExtensionType"));
    }

    [Test]
    public async Task A_null_extension_type_is_accepted()
    {
        await AssertAppliedAsync(d => Metadata(d)["appExtensionType"] = null);
    }

    [Test]
    public async Task Unknown_fields_anywhere_are_ignored()
    {
        await AssertAppliedAsync(d =>
        {
            d["somethingNew"] = new JsonObject { ["nested"] = true };
            Metadata(d)["somethingNew"] = 1;
            Metadata(d)["identity"]!["somethingNew"] = "x";
            Request(d)["somethingNew"] = new JsonArray(1, 2, 3);
            Item0(d)["somethingNew"] = null;
            Item0(d)["price"] = "19.99";
            Reference0(d)["somethingNew"] = "x";
            Reference0(d)["options"] = new JsonObject { ["customTextFields"] = new JsonObject { ["Engraving"] = "Hi" }, ["somethingNew"] = 2 };
        });
    }

    [Test]
    public async Task Languages_may_arrive_as_a_string()
    {
        await AssertAppliedAsync(d => Metadata(d)["languages"] = "de-DE");
    }

    [Test]
    public async Task Missing_restrict_value_on_a_decrement_is_the_safe_side_and_accepted()
    {
        await AssertAppliedAsync(d => Request(d).Remove("restrictInventoryValue"));
    }

    [Test]
    public async Task Restrict_value_on_an_increment_is_not_a_field_of_it_and_is_ignored()
    {
        var tenant = PluginInstance.NewTenant();
        var sku = await _plugin.SeedAsync(tenant, "sku-1", 10);
        var envelope = Envelopes.Increment(tenant, [Envelopes.Item("sku-1", 1)]);
        Request(envelope)["restrictInventoryValue"] = "yes";

        var answer = await _plugin.IncrementAsync(envelope);

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
            Assert.That(_plugin.QuantityOf(sku), Is.EqualTo(11));
        });
    }

    [Test]
    public async Task Duplicate_keys_inside_data_are_rejected_and_change_nothing()
    {
        var tenant = PluginInstance.NewTenant();
        var sku = await _plugin.SeedAsync(tenant, "sku-1", 10);
        var snapshot = _plugin.Snapshot(tenant);
        var ledger = _plugin.Ledger(tenant);
        var payload = _plugin.Tokens.DefaultPayload(ValidDecrement(tenant)).ToJsonString();
        // Which of two quantities a reader keeps is up to the reader: neither may be guessed.
        var duplicated = payload.Replace("\"quantity\":1,", "\"quantity\":1,\"quantity\":9,", StringComparison.Ordinal);
        Assert.That(duplicated, Is.Not.EqualTo(payload), "the payload should hold the item's quantity once");

        var answer = await _plugin.SendAsync("/v1/decrement", SignRaw(duplicated, _plugin.Tokens.Key));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(400), answer.Body);
            Assert.That(answer.ErrorCode, Is.EqualTo("INVALID_ARGUMENT"));
            Assert.That(Violations(answer).Select(v => v.Field), Does.Contain("data"));
            Assert.That(_plugin.Snapshot(tenant), Is.EqualTo(snapshot));
            Assert.That(_plugin.Ledger(tenant), Is.EqualTo(ledger));
            Assert.That(_plugin.QuantityOf(sku), Is.EqualTo(10));
        });
    }

    [Test]
    public async Task A_raw_signed_payload_without_duplicates_is_applied()
    {
        // Guards the test above: the hand-made token is accepted when nothing is duplicated.
        var tenant = PluginInstance.NewTenant();
        var sku = await _plugin.SeedAsync(tenant, "sku-1", 10);
        var payload = _plugin.Tokens.DefaultPayload(ValidDecrement(tenant)).ToJsonString();

        var answer = await _plugin.SendAsync("/v1/decrement", SignRaw(payload, _plugin.Tokens.Key));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
            Assert.That(_plugin.QuantityOf(sku), Is.EqualTo(9));
        });
    }

    private async Task AssertAppliedAsync(Action<JsonObject> edit)
    {
        var tenant = PluginInstance.NewTenant();
        var sku = await _plugin.SeedAsync(tenant, "sku-1", 10);
        var envelope = ValidDecrement(tenant);
        edit(envelope);

        var answer = await _plugin.DecrementAsync(envelope);

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
            Assert.That(answer.Body, Is.EqualTo("{}"));
            Assert.That(_plugin.QuantityOf(sku), Is.EqualTo(9));
        });
    }

    private static JsonObject ValidDecrement(string tenant) => Envelopes.Decrement(tenant, [Envelopes.Item("sku-1", 1)]);

    private static TestCaseData Case(string name, string field, Func<PlatformTokens, JsonObject, string> token) =>
        new TestCaseData(token, field).SetArgDisplayNames(name);

    private static Func<PlatformTokens, JsonObject, string> Edit(Action<JsonObject> edit) => (tokens, data) =>
    {
        edit(data);
        return tokens.Sign(data);
    };

    private static JsonArray Items(int count) => new(Enumerable.Range(0, count).Select(_ => (JsonNode)Envelopes.Item("sku-1", 1)).ToArray());

    private static JsonObject Metadata(JsonObject data) => data["metadata"]!.AsObject();

    private static JsonObject Request(JsonObject data) => data["request"]!.AsObject();

    private static JsonObject Item0(JsonObject data) => Request(data)["items"]![0]!.AsObject();

    private static JsonObject Reference0(JsonObject data) => Item0(data)["catalogReference"]!.AsObject();

    private static List<(string Field, string Description)> Violations(PlatformAnswer answer) =>
        answer.Json?["applicationError"]?["data"]?["fieldViolations"]?.AsArray()
            .Select(v => (v!["field"]!.GetValue<string>(), v["description"]!.GetValue<string>()))
            .ToList()
        ?? [];

    /// <summary>Signs payload text exactly as given, so it can hold what a JSON writer never would (a duplicate key).</summary>
    private static string SignRaw(string payloadJson, RSA key)
    {
        var input = Base64UrlEncoder.Encode("""{"alg":"RS256","typ":"JWT"}""") + "." + Base64UrlEncoder.Encode(payloadJson);
        var signature = key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return input + "." + Base64UrlEncoder.Encode(signature);
    }
}
