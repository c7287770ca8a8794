using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace InventoryPlugin.Tests.Infrastructure;

/// <summary>An RSA signing key with its key id, as an identity provider holds it.</summary>
public sealed class SigningKey(string id, RSA rsa)
{
    public string Id { get; } = id;

    public static SigningKey Create(string id) => new(id, RSA.Create(2048));

    public string Mint(string issuer, string tenant, string scopes, Action<SecurityTokenDescriptor>? edit = null, string audience = PluginInstance.MerchantAudience) =>
        MerchantTokens.Mint(new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = Id }, SecurityAlgorithms.RsaSha256), issuer, audience, tenant, scopes, edit);

    /// <summary>The public half as a JWK.</summary>
    public JsonObject Jwk()
    {
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(includePrivateParameters: false)) { KeyId = Id });
        return new JsonObject { ["kty"] = jwk.Kty, ["kid"] = jwk.Kid, ["use"] = "sig", ["alg"] = SecurityAlgorithms.RsaSha256, ["n"] = jwk.N, ["e"] = jwk.E };
    }
}

/// <summary>
/// A minimal OIDC authority on a loopback port: a discovery document and a JWKS that tests can add keys
/// to, and the authorization-code flow with PKCE (S256) for a browser, issuing tokens for <see cref="Tenant"/>.
/// </summary>
public sealed class IdentityProvider : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<SigningKey> _keys = [];
    private WebApplication _app = null!;
    private int _discoveryRequests;
    private int _jwksRequests;
    private int _tokensIssued;
    private readonly ConcurrentDictionary<string, (string Challenge, string RedirectUri, string ClientId)> _codes = new();

    public string Url { get; private set; } = "";

    public int DiscoveryRequests => Volatile.Read(ref _discoveryRequests);

    public int JwksRequests => Volatile.Read(ref _jwksRequests);

    /// <summary>Access tokens handed out by the token endpoint (each only after its code_verifier matched).</summary>
    public int TokensIssued => Volatile.Read(ref _tokensIssued);

    /// <summary>Whose tokens the authorization-code flow issues, and with which scopes.</summary>
    public string Tenant { get; set; } = "";

    public string Scopes { get; set; } = "inventory:read inventory:write";

    public static async Task<IdentityProvider> StartAsync()
    {
        var provider = new IdentityProvider();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing", ContentRootPath = Path.GetTempPath() });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/.well-known/openid-configuration", (HttpContext http) =>
        {
            Interlocked.Increment(ref provider._discoveryRequests);
            // Browsers read it too (the console's sign-in), as from any real identity provider.
            http.Response.Headers.AccessControlAllowOrigin = "*";
            return Results.Text(new JsonObject
            {
                ["issuer"] = provider.Url,
                ["jwks_uri"] = provider.Url + "/jwks",
                ["authorization_endpoint"] = provider.Url + "/authorize",
                ["token_endpoint"] = provider.Url + "/token",
            }.ToJsonString(), "application/json");
        });
        app.MapGet("/jwks", () =>
        {
            Interlocked.Increment(ref provider._jwksRequests);
            lock (provider._gate)
            {
                return Results.Text(new JsonObject { ["keys"] = new JsonArray(provider._keys.Select(k => (JsonNode)k.Jwk()).ToArray()) }.ToJsonString(), "application/json");
            }
        });
        app.MapGet("/authorize", (HttpContext http) =>
        {
            var query = http.Request.Query;
            if (query["response_type"] != "code" || query["code_challenge_method"] != "S256" || string.IsNullOrEmpty(query["code_challenge"]))
            {
                return Results.BadRequest("authorization code with PKCE S256 only");
            }

            // Signed in at once: the test is about the client's side of the flow.
            var code = Guid.NewGuid().ToString("N");
            provider._codes[code] = (query["code_challenge"]!, query["redirect_uri"]!, query["client_id"]!);
            return Results.Redirect($"{query["redirect_uri"]}?code={code}&state={Uri.EscapeDataString(query["state"]!)}");
        });
        app.MapPost("/token", async (HttpContext http) =>
        {
            http.Response.Headers.AccessControlAllowOrigin = "*";
            var form = await http.Request.ReadFormAsync();
            var verifier = form["code_verifier"].ToString();
            var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
            if (form["grant_type"] != "authorization_code" || !provider._codes.TryRemove(form["code"].ToString(), out var issued)
                || issued.Challenge != challenge || issued.RedirectUri != form["redirect_uri"] || issued.ClientId != form["client_id"])
            {
                return Results.Json(new { error = "invalid_grant" }, statusCode: StatusCodes.Status400BadRequest);
            }

            SigningKey key;
            lock (provider._gate)
            {
                key = provider._keys[^1];
            }

            Interlocked.Increment(ref provider._tokensIssued);
            return Results.Json(new { access_token = key.Mint(provider.Url, provider.Tenant, provider.Scopes), token_type = "Bearer", expires_in = 3600 });
        });
        await app.StartAsync();
        provider._app = app;
        provider.Url = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First().TrimEnd('/');
        return provider;
    }

    public SigningKey Publish(SigningKey key)
    {
        lock (_gate)
        {
            _keys.Add(key);
        }

        return key;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
