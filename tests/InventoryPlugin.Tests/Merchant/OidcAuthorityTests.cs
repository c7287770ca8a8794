using System.Diagnostics;
using System.Net;
using InventoryPlugin.Tests.Infrastructure;
using Microsoft.IdentityModel.Tokens;
using static InventoryPlugin.Tests.Merchant.MerchantCalls;

namespace InventoryPlugin.Tests.Merchant;

/// <summary>
/// Contract part 3, OIDC mode: the service fetches the authority's discovery document and JWKS over
/// real HTTP, caches them, and fetches them again when a token names a key it does not know.
/// </summary>
public sealed class OidcAuthorityTests
{
    private const string Scopes = "inventory:read inventory:write";
    private IdentityProvider _authority = null!;
    private PluginInstance _plugin = null!;
    private SigningKey _publishedKey = null!;
    private string _tenant = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _authority = await IdentityProvider.StartAsync();
        _publishedKey = _authority.Publish(SigningKey.Create("key-1"));
        _plugin = await PluginInstance.StartAsync(new Dictionary<string, string?>
        {
            ["MerchantAuth:Authority"] = _authority.Url,
            ["MerchantAuth:RequireHttpsMetadata"] = "false",
            ["MerchantAuth:KeyRefreshSeconds"] = "1",
            ["MerchantAuth:Issuer"] = _authority.Url,
            ["MerchantAuth:SigningKey"] = "",
            ["MerchantAuth:Audience"] = PluginInstance.MerchantAudience,
        });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _plugin.DisposeAsync();
        await _authority.DisposeAsync();
    }

    [SetUp]
    public void NewTenant() => _tenant = PluginInstance.NewTenant();

    [Test]
    public async Task A_token_signed_by_a_key_in_the_authoritys_JWKS_is_accepted()
    {
        using var client = ClientWith(_plugin, _publishedKey.Mint(_authority.Url, _tenant, Scopes));

        var created = await client.CallAsync(HttpMethod.Post, "inventory-items", Counted("shirt", 5));
        var read = await client.CallAsync(HttpMethod.Get, $"inventory-items/{created.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(created.Status, Is.EqualTo(HttpStatusCode.Created), created.ToString());
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.OK), read.ToString());
            Assert.That(_authority.DiscoveryRequests, Is.GreaterThanOrEqualTo(1), "the discovery document was fetched over HTTP");
        });
    }

    [Test]
    public async Task A_token_signed_by_a_key_the_authority_never_published_is_401()
    {
        var unknown = SigningKey.Create("key-never-published");
        var impostor = SigningKey.Create(_publishedKey.Id);

        var answers = new[]
        {
            await CallWithAsync(unknown.Mint(_authority.Url, _tenant, Scopes)),
            await CallWithAsync(impostor.Mint(_authority.Url, _tenant, Scopes)),
        };

        Assert.Multiple(() =>
        {
            foreach (var answer in answers)
            {
                Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.Unauthorized), answer.ToString());
                Assert.That(answer.MediaType, Is.EqualTo(ProblemJson));
                Assert.That(answer.Code, Is.EqualTo("UNAUTHENTICATED"));
            }

            Assert.That(_plugin.Snapshot(_tenant), Is.Empty);
        });
    }

    [TestCase("another issuer")]
    [TestCase("another audience")]
    [TestCase("expired")]
    public async Task A_token_from_the_authority_with_the_wrong_claims_is_401(string what)
    {
        var token = what switch
        {
            "another issuer" => _publishedKey.Mint("https://someone-else.test", _tenant, Scopes),
            "another audience" => _publishedKey.Mint(_authority.Url, _tenant, Scopes, audience: "another-api"),
            _ => _publishedKey.Mint(_authority.Url, _tenant, Scopes, d =>
            {
                d.IssuedAt = DateTime.UtcNow.AddHours(-2);
                d.NotBefore = DateTime.UtcNow.AddHours(-2);
                d.Expires = DateTime.UtcNow.AddHours(-1);
            }),
        };

        var answer = await CallWithAsync(token);

        Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.Unauthorized), answer.ToString());
    }

    [Test]
    public async Task A_token_from_the_authority_without_the_scope_is_403()
    {
        var answer = await CallWithAsync(_publishedKey.Mint(_authority.Url, _tenant, "inventory:read"));

        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.Forbidden), answer.ToString());
            Assert.That(answer.Code, Is.EqualTo("FORBIDDEN"));
        });
    }

    [Test]
    public async Task After_key_rollover_a_token_signed_by_the_new_key_is_accepted_once_the_keys_are_refreshed()
    {
        var newKey = SigningKey.Create("key-" + Guid.NewGuid().ToString("N")[..8]);
        var fetchesBefore = _authority.JwksRequests;
        _authority.Publish(newKey);

        // The service learns of the new key when a token names it: the first attempts may still be
        // answered from the cached JWKS while the refresh runs.
        var clock = Stopwatch.StartNew();
        var attempts = new List<HttpStatusCode>();
        MerchantAnswer answer;
        do
        {
            answer = await CallWithAsync(newKey.Mint(_authority.Url, _tenant, Scopes), "rolled-" + attempts.Count);
            attempts.Add(answer.Status);
            if (answer.Status != HttpStatusCode.Created)
            {
                await Task.Delay(200);
            }
        }
        while (answer.Status != HttpStatusCode.Created && clock.Elapsed < TimeSpan.FromSeconds(10));

        var oldKeyStillWorks = await CallWithAsync(_publishedKey.Mint(_authority.Url, _tenant, Scopes), "old-key");
        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.Created), $"attempts: {string.Join(", ", attempts)}; last: {answer}");
            Assert.That(attempts.Take(attempts.Count - 1), Has.All.EqualTo(HttpStatusCode.Unauthorized), "before the refresh the new key is unknown, not an error");
            Assert.That(_authority.JwksRequests, Is.GreaterThan(fetchesBefore), "the JWKS was fetched again");
            Assert.That(oldKeyStillWorks.Status, Is.EqualTo(HttpStatusCode.Created), "the old key stays valid while it is published");
        });
    }

    private async Task<MerchantAnswer> CallWithAsync(string token, string catalogItemId = "shirt")
    {
        using var client = ClientWith(_plugin, token);
        return await client.CallAsync(HttpMethod.Post, "inventory-items", Counted(catalogItemId, 5));
    }
}
