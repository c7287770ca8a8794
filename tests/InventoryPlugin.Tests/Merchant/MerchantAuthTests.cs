using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using InventoryPlugin.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using static InventoryPlugin.Tests.Merchant.MerchantCalls;

namespace InventoryPlugin.Tests.Merchant;

/// <summary>Contract part 3: bearer tokens with the static HS256 key, the tenant claim and the two scopes.</summary>
public sealed class MerchantAuthTests : TenantFixture
{
    [TestCase("none")]
    [TestCase("not a JWT")]
    [TestCase("signed with another key")]
    [TestCase("unsigned (alg none)")]
    [TestCase("expired")]
    [TestCase("not yet valid")]
    [TestCase("for another audience")]
    [TestCase("from another issuer")]
    public async Task A_request_without_a_valid_token_is_401_problem_details_and_changes_nothing(string token)
    {
        using var client = ClientWith(Plugin, TokenThatIs(token));

        var create = await client.CallAsync(HttpMethod.Post, "inventory-items", Counted("shirt", 5));
        var read = await client.CallAsync(HttpMethod.Get, "settings");

        Assert.Multiple(() =>
        {
            foreach (var answer in new[] { create, read })
            {
                Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.Unauthorized), answer.ToString());
                Assert.That(answer.MediaType, Is.EqualTo(ProblemJson));
                Assert.That(answer.Code, Is.EqualTo("UNAUTHENTICATED"));
                Assert.That(answer.Json!["status"]!.GetValue<int>(), Is.EqualTo(401));
                Assert.That(answer.Headers.WwwAuthenticate.Select(h => h.Scheme), Does.Contain("Bearer"));
            }

            Assert.That(Plugin.Snapshot(Tenant), Is.Empty);
        });
    }

    [TestCase("inventory:read", "POST", "inventory-items", TestName = "A read-only token cannot create a record")]
    [TestCase("inventory:read", "PUT", "settings", TestName = "A read-only token cannot change the settings")]
    [TestCase("inventory:read", "POST", "inventory-items/bulk-upsert", TestName = "A read-only token cannot bulk upsert")]
    [TestCase("inventory:write", "GET", "settings", TestName = "A write-only token cannot read the settings")]
    [TestCase("inventory:write", "POST", "inventory-items/query", TestName = "A write-only token cannot query records")]
    [TestCase("inventory:write", "GET", "ledger", TestName = "A write-only token cannot read the ledger")]
    [TestCase("inventory:write", "POST", "availability", TestName = "A write-only token cannot ask for availability")]
    [TestCase("inventory:readwrite inventory", "GET", "settings", TestName = "A scope is matched whole, not by its prefix")]
    [TestCase("", "GET", "settings", TestName = "A token with no scope at all is forbidden")]
    public async Task A_valid_token_without_the_scope_is_403_problem_details(string scopes, string method, string path)
    {
        using var client = ClientWith(Plugin, Plugin.MerchantTokens.Mint(Tenant, scopes));

        var answer = await client.CallAsync(new HttpMethod(method), path, method == "GET" ? null : new JsonObject { ["items"] = new JsonArray(Counted("shirt", 5)) });

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.Forbidden), answer.ToString());
            Assert.That(answer.MediaType, Is.EqualTo(ProblemJson));
            Assert.That(answer.Code, Is.EqualTo("FORBIDDEN"));
            Assert.That(Plugin.Snapshot(Tenant), Is.Empty);
        });
    }

    [TestCase(null, TestName = "A token without instance_id is forbidden")]
    [TestCase("", TestName = "A token with an empty instance_id is forbidden")]
    [TestCase("not-a-guid", TestName = "A token whose instance_id is not a GUID is forbidden")]
    public async Task A_token_that_names_no_tenant_is_403(string? instanceId)
    {
        using var client = ClientWith(Plugin, Plugin.MerchantTokens.Mint(instanceId, "inventory:read inventory:write"));

        var read = await client.CallAsync(HttpMethod.Get, "settings");
        var write = await client.CallAsync(HttpMethod.Post, "inventory-items", Counted("shirt", 5));

        Assert.Multiple(() =>
        {
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.Forbidden), read.ToString());
            Assert.That(read.Code, Is.EqualTo("FORBIDDEN"));
            Assert.That(write.Status, Is.EqualTo(HttpStatusCode.Forbidden), write.ToString());
            Assert.That(write.MediaType, Is.EqualTo(ProblemJson));
        });
    }

    [Test]
    public async Task A_read_only_token_may_read_query_and_ask_for_availability()
    {
        var record = await Plugin.Merchant(Tenant).CreateAsync(Counted("shirt", 5));
        using var reader = Plugin.Merchant(Tenant, "inventory:read");

        var get = await reader.CallAsync(HttpMethod.Get, $"inventory-items/{record.Id}");
        var query = await reader.CallAsync(HttpMethod.Post, "inventory-items/query", new JsonObject());
        var availability = await reader.CallAsync(HttpMethod.Post, "availability",
            new JsonObject { ["items"] = new JsonArray(new JsonObject { ["catalogReference"] = Reference("shirt"), ["quantity"] = 1 }) });

        Assert.Multiple(() =>
        {
            Assert.That(get.Status, Is.EqualTo(HttpStatusCode.OK), get.ToString());
            Assert.That(query.Status, Is.EqualTo(HttpStatusCode.OK), query.ToString());
            Assert.That(query.Json!["items"]!.AsArray(), Has.Count.EqualTo(1));
            Assert.That(availability.Status, Is.EqualTo(HttpStatusCode.OK), availability.ToString());
        });
    }

    [Test]
    public async Task A_write_only_token_may_create_and_change()
    {
        using var writer = Plugin.Merchant(Tenant, "inventory:write");

        var created = await writer.CallAsync(HttpMethod.Post, "inventory-items", Counted("shirt", 5));
        var adjusted = await writer.CallAsync(HttpMethod.Post, $"inventory-items/{created.Id}/adjust", new JsonObject { ["delta"] = 2 });

        Assert.Multiple(() =>
        {
            Assert.That(created.Status, Is.EqualTo(HttpStatusCode.Created), created.ToString());
            Assert.That(adjusted.Status, Is.EqualTo(HttpStatusCode.OK), adjusted.ToString());
            Assert.That(adjusted.Json!["quantity"]!.GetValue<long>(), Is.EqualTo(7));
        });
    }

    [Test]
    public async Task The_token_subject_is_recorded_as_who_changed_the_stock()
    {
        using var client = ClientWith(Plugin, Plugin.MerchantTokens.Mint(Tenant, "inventory:read inventory:write", d => d.Claims["sub"] = "alice@shop"));

        var created = await client.CreateAsync(Counted("shirt", 5));
        await client.CallAsync(HttpMethod.Post, $"inventory-items/{created.Id}/adjust", new JsonObject { ["delta"] = -1, ["reason"] = "damaged" });

        var entries = await client.LedgerAsync($"itemId={created.Id}");
        Assert.That(entries.Select(e => (e["operation"]!.GetValue<string>(), e["actorType"]!.GetValue<string>(), e["actorId"]!.GetValue<string>())),
            Is.EqualTo(new[] { ("SET", "MERCHANT", "alice@shop"), ("ADJUST", "MERCHANT", "alice@shop") }));
    }

    /// <summary>Tokens that must not get in, each wrong in one way only.</summary>
    private string? TokenThatIs(string what)
    {
        const string Scopes = "inventory:read inventory:write";
        var tokens = Plugin.MerchantTokens;
        var otherKey = new SigningCredentials(new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)), SecurityAlgorithms.HmacSha256);
        return what switch
        {
            "none" => null,
            "not a JWT" => "not-a-token",
            "signed with another key" => MerchantTokens.Mint(otherKey, PluginInstance.MerchantIssuer, PluginInstance.MerchantAudience, Tenant, Scopes),
            "unsigned (alg none)" => Unsigned(tokens.Mint(Tenant, Scopes)),
            // Well past the JwtBearer middleware's clock skew.
            "expired" => tokens.Mint(Tenant, Scopes, d =>
            {
                d.IssuedAt = DateTime.UtcNow.AddHours(-2);
                d.NotBefore = DateTime.UtcNow.AddHours(-2);
                d.Expires = DateTime.UtcNow.AddHours(-1);
            }),
            "not yet valid" => tokens.Mint(Tenant, Scopes, d =>
            {
                d.NotBefore = DateTime.UtcNow.AddHours(1);
                d.Expires = DateTime.UtcNow.AddHours(2);
            }),
            "for another audience" => MerchantTokens.Mint(new SigningCredentials(new SymmetricSecurityKey(SigningKey()), SecurityAlgorithms.HmacSha256),
                PluginInstance.MerchantIssuer, "another-api", Tenant, Scopes),
            "from another issuer" => MerchantTokens.Mint(new SigningCredentials(new SymmetricSecurityKey(SigningKey()), SecurityAlgorithms.HmacSha256),
                "https://someone-else.test", PluginInstance.MerchantAudience, Tenant, Scopes),
            _ => throw new ArgumentOutOfRangeException(nameof(what), what, null),
        };
    }

    private byte[] SigningKey() => Convert.FromBase64String(Plugin.Services.GetRequiredService<IConfiguration>()["MerchantAuth:SigningKey"]!);

    /// <summary>The same claims with <c>alg: none</c> and no signature.</summary>
    private static string Unsigned(string token)
    {
        var parts = token.Split('.');
        return Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""") + "." + parts[1] + ".";
    }
}
