using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using InventoryPlugin.Stock;
using InventoryPlugin.Tests.Infrastructure;

namespace InventoryPlugin.Tests.Platform;

/// <summary>Contract 1.1: every way a token can be wrong is a 401 in the contract's shape, and changes nothing.</summary>
public sealed class VerificationTests
{
    private static readonly RSA RotatedKey = RSA.Create(2048);
    private PluginInstance _plugin = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _plugin = await PluginInstance.StartAsync(new Dictionary<string, string?>
    {
        // The rotated key is configured base64-encoded, the single-line form meant for environment variables.
        ["Wix:AdditionalPublicKeys:0"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(RotatedKey.ExportSubjectPublicKeyInfoPem())),
    });

    [OneTimeTearDown]
    public async Task StopAsync() => await _plugin.DisposeAsync();

    public static IEnumerable<TestCaseData> BrokenTokens()
    {
        yield return Case("signed by another key", (t, d) => PlatformTokens.SignRs256(Header("RS256"), t.DefaultPayload(d), RSA.Create(2048)), "signature");
        yield return Case("alg none", (t, d) => PlatformTokens.SigningInput(Header("none"), t.DefaultPayload(d)) + ".", "algorithm");
        yield return Case("HS256 keyed with the public key", (t, d) => PlatformTokens.SignHs256(
            Header("HS256"), t.DefaultPayload(d), Encoding.UTF8.GetBytes(t.Key.ExportSubjectPublicKeyInfoPem())), "algorithm");
        yield return Case("RS512", (t, d) => SignRs512(t, d), "algorithm");
        yield return Case("wrong audience", (t, d) => t.Sign(d, c => c["aud"] = Guid.NewGuid().ToString()), "audience");
        yield return Case("wrong issuer", (t, d) => t.Sign(d, c => c["iss"] = "evil.example"), "issuer");
        yield return Case("expired", (t, d) => t.Sign(d, c =>
        {
            c["iat"] = PlatformTokens.Now - 600;
            c["exp"] = PlatformTokens.Now - 120;
        }), "expired");
        yield return Case("no exp", (t, d) => t.Sign(d, c => c.Remove("exp")), "exp");
        yield return Case("iat in the future", (t, d) => t.Sign(d, c => c["iat"] = PlatformTokens.Now + 600), "iat");
        yield return Case("nbf in the future", (t, d) => t.Sign(d, c => {
            c["nbf"] = PlatformTokens.Now + 600;
            c["exp"] = PlatformTokens.Now + 900;
        }), "nbf");
        yield return Case("tampered payload", (t, d) => Tamper(t.Sign(d)), "signature");
        yield return Case("garbage body", (_, _) => "this is not a token", "JWT");
        yield return Case("empty body", (_, _) => "", "empty");
        yield return Case("JSON instead of a token", (_, d) => d!.ToJsonString(), "JWT");
        yield return Case("signed payload that is not JSON", (t, _) => t.SignPayload(Encoding.UTF8.GetBytes("{\"data\": ")), "payload does not decode to a JSON object");
    }

    [TestCaseSource(nameof(BrokenTokens))]
    public async Task A_broken_token_is_401_and_changes_nothing(Func<PlatformTokens, JsonNode?, string> token, string reasonMentions)
    {
        var tenant = PluginInstance.NewTenant();
        var sku = await _plugin.SeedAsync(tenant, "sku-1", 10);
        var before = _plugin.Snapshot(tenant);
        var envelope = Envelopes.Decrement(tenant, [Envelopes.Item("sku-1", 3)], restrict: false);

        var answer = await _plugin.SendAsync("/v1/decrement", token(_plugin.Tokens, envelope));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(401));
            Assert.That(answer.ContentType, Is.EqualTo("application/json"));
            Assert.That(answer.ErrorCode, Is.EqualTo("UNAUTHENTICATED"));
            Assert.That(answer.Json!["applicationError"]!["description"]!.GetValue<string>(), Does.Contain(reasonMentions).IgnoreCase);
            Assert.That(_plugin.Snapshot(tenant), Is.EqualTo(before));
            Assert.That(_plugin.Ledger(tenant), Has.Count.EqualTo(1), "only the seed's entry");
            Assert.That(_plugin.QuantityOf(sku), Is.EqualTo(10));
        });
    }

    [Test]
    public async Task A_refusal_is_logged_as_a_warning_with_its_reason_and_never_the_token()
    {
        var token = _plugin.Tokens.Sign(Envelopes.Decrement(PluginInstance.NewTenant(), [Envelopes.Item("sku-1", 1)]), c => c["aud"] = "someone-else");

        await _plugin.SendAsync("/v1/decrement", token);

        var warnings = _plugin.Logs.Entries.Where(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(warnings.Select(w => w.Message), Has.Some.Contains("audience"));
            Assert.That(_plugin.Logs.Entries.Select(e => e.Message), Has.None.Contains(token.Split('.')[2]));
            Assert.That(_plugin.Logs.Entries.Select(e => e.Message), Has.None.Contains(token.Split('.')[1]));
        });
    }

    [Test]
    public async Task A_token_signed_by_the_rotated_key_is_accepted()
    {
        var tenant = PluginInstance.NewTenant();
        var sku = await _plugin.SeedAsync(tenant, "sku-1", 10);
        var rotated = new PlatformTokens(RotatedKey, PluginInstance.AppId);

        var answer = await _plugin.SendAsync("/v1/decrement", rotated.Sign(Envelopes.Decrement(tenant, [Envelopes.Item("sku-1", 4)])));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
            Assert.That(_plugin.QuantityOf(sku), Is.EqualTo(6));
        });
    }

    [Test]
    public async Task A_kid_header_naming_no_configured_key_is_ignored()
    {
        var tenant = PluginInstance.NewTenant();
        await _plugin.SeedAsync(tenant, "sku-1", 10);

        var answer = await _plugin.SendAsync("/v1/decrement", _plugin.Tokens.Sign(
            Envelopes.Decrement(tenant, [Envelopes.Item("sku-1", 1)]), header: h => h["kid"] = "some-key-id"));

        Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
    }

    [Test]
    public async Task Timestamps_within_the_clock_skew_are_accepted()
    {
        var tenant = PluginInstance.NewTenant();
        await _plugin.SeedAsync(tenant, "sku-1", 10);

        var answer = await _plugin.SendAsync("/v1/decrement", _plugin.Tokens.Sign(
            Envelopes.Decrement(tenant, [Envelopes.Item("sku-1", 1)]), c =>
            {
                c["iat"] = PlatformTokens.Now + 30;
                c["exp"] = PlatformTokens.Now - 30;
            }));

        Assert.That(answer.Status, Is.EqualTo(200), answer.Body);
    }

    private static TestCaseData Case(string name, Func<PlatformTokens, JsonNode?, string> token, string reason) =>
        new TestCaseData(token, reason).SetArgDisplayNames(name);

    private static JsonObject Header(string alg) => new() { ["alg"] = alg, ["typ"] = "JWT" };

    private static string SignRs512(PlatformTokens tokens, JsonNode? data)
    {
        var input = PlatformTokens.SigningInput(Header("RS512"), tokens.DefaultPayload(data));
        var signature = tokens.Key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1);
        return input + "." + Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(signature);
    }

    /// <summary>Raises the quantity inside the signed payload, keeping the original signature.</summary>
    private static string Tamper(string token)
    {
        var parts = token.Split('.');
        var payload = JsonNode.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(parts[1]))!;
        payload["data"]!["request"]!["items"]![0]!["quantity"] = 9;
        parts[1] = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(payload.ToJsonString());
        return string.Join('.', parts);
    }
}
