using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;
using WireMock;
using WireMock.Logging;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using WireMock.Types;
using WireMock.Util;

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
/// A minimal OIDC authority on a loopback port, served by WireMock.Net: a discovery document and a JWKS
/// that tests can add keys to, and the authorization-code flow with PKCE (S256) for a browser, issuing
/// tokens for <see cref="Tenant"/>.
/// </summary>
public sealed class IdentityProvider : IAsyncDisposable
{
    private const string DiscoveryPath = "/.well-known/openid-configuration";
    private const string JwksPath = "/jwks";

    // Named mappings, so that the request log can be counted per endpoint.
    private readonly Guid _discoveryMapping = Guid.NewGuid();
    private readonly Guid _jwksMapping = Guid.NewGuid();

    private readonly Lock _gate = new();
    private readonly List<SigningKey> _keys = [];
    private readonly ConcurrentDictionary<string, (string Challenge, string RedirectUri, string ClientId)> _codes = new();
    private readonly WireMockServer _server;
    private int _tokensIssued;

    private IdentityProvider()
    {
        _server = WireMockServer.Start(new WireMockServerSettings
        {
            // Loopback only, on a port the OS picks: WireMock's default listens on every interface.
            Urls = ["http://127.0.0.1:0"],
            Logger = new WireMockNullLogger(),
            // By default WireMock also splits a query value at an unescaped ',' or ';', both legal in a state or redirect_uri.
            QueryParameterMultipleValueSupport = QueryParameterMultipleValueSupport.Ampersand,
        });
        Url = _server.Url!.TrimEnd('/');

        _server
            .Given(Request.Create().WithPath(DiscoveryPath).UsingGet())
            .WithGuid(_discoveryMapping)
            .RespondWith(Response.Create()
                .WithHeader("Content-Type", "application/json")
                // Browsers read it too (the console's sign-in), as from any real identity provider.
                .WithHeader("Access-Control-Allow-Origin", "*")
                .WithBody(new JsonObject
                {
                    ["issuer"] = Url,
                    ["jwks_uri"] = Url + JwksPath,
                    ["authorization_endpoint"] = Url + "/authorize",
                    ["token_endpoint"] = Url + "/token",
                }.ToJsonString()));

        // A callback, not a fixed body: keys published after start must show up on the next fetch.
        _server
            .Given(Request.Create().WithPath(JwksPath).UsingGet())
            .WithGuid(_jwksMapping)
            .RespondWith(Response.Create().WithCallback(_ => Json(200, JwksDocument())));

        _server
            .Given(Request.Create().WithPath("/authorize").UsingGet()
                .WithParam("response_type", "code")
                .WithParam("code_challenge_method", "S256")
                .WithParam("code_challenge", new RegexMatcher(".+")))
            .AtPriority(1)
            .RespondWith(Response.Create().WithCallback(Authorize));
        _server
            .Given(Request.Create().WithPath("/authorize").UsingGet())
            .AtPriority(2)
            .RespondWith(Response.Create().WithStatusCode(400).WithBody("authorization code with PKCE S256 only"));

        _server
            .Given(Request.Create().WithPath("/token").UsingPost())
            .RespondWith(Response.Create().WithCallback(Token));
    }

    public string Url { get; }

    public int DiscoveryRequests => RequestsTo(_discoveryMapping);

    public int JwksRequests => RequestsTo(_jwksMapping);

    /// <summary>Access tokens handed out by the token endpoint (each only after its code_verifier matched).</summary>
    public int TokensIssued => Volatile.Read(ref _tokensIssued);

    /// <summary>Whose tokens the authorization-code flow issues, and with which scopes.</summary>
    public string Tenant { get; set; } = "";

    public string Scopes { get; set; } = "inventory:read inventory:write";

    public static Task<IdentityProvider> StartAsync() => Task.FromResult(new IdentityProvider());

    public SigningKey Publish(SigningKey key)
    {
        lock (_gate)
        {
            _keys.Add(key);
        }

        return key;
    }

    public ValueTask DisposeAsync()
    {
        // Dispose alone only begins the shutdown; Stop waits for it, so the port is free when this returns.
        _server.Stop();
        _server.Dispose();
        return ValueTask.CompletedTask;
    }

    // WireMock logs a request before it writes the response, so a caller that has its answer is already counted.
    private int RequestsTo(Guid mapping) => _server.LogEntries.Count(entry => entry.MappingGuid == mapping);

    private string JwksDocument()
    {
        lock (_gate)
        {
            return new JsonObject { ["keys"] = new JsonArray(_keys.Select(k => (JsonNode)k.Jwk()).ToArray()) }.ToJsonString();
        }
    }

    private IResponseMessage Authorize(IRequestMessage request)
    {
        // Signed in at once: the test is about the client's side of the flow.
        var code = Guid.NewGuid().ToString("N");
        var redirectUri = Query(request, "redirect_uri");
        _codes[code] = (Query(request, "code_challenge"), redirectUri, Query(request, "client_id"));
        var redirect = new ResponseMessage { StatusCode = 302 };
        redirect.AddHeader("Location", $"{redirectUri}?code={code}&state={Uri.EscapeDataString(Query(request, "state"))}");
        return redirect;
    }

    private IResponseMessage Token(IRequestMessage request)
    {
        var form = request.BodyData?.BodyAsFormUrlEncoded;
        string Field(string name) => form is not null && form.TryGetValue(name, out var value) ? value : "";
        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(Field("code_verifier"))));
        if (Field("grant_type") != "authorization_code" || !_codes.TryRemove(Field("code"), out var issued)
            || issued.Challenge != challenge || issued.RedirectUri != Field("redirect_uri") || issued.ClientId != Field("client_id"))
        {
            return WithCors(Json(400, new JsonObject { ["error"] = "invalid_grant" }.ToJsonString()));
        }

        SigningKey key;
        lock (_gate)
        {
            key = _keys[^1];
        }

        Interlocked.Increment(ref _tokensIssued);
        return WithCors(Json(200, new JsonObject
        {
            ["access_token"] = key.Mint(Url, Tenant, Scopes),
            ["token_type"] = "Bearer",
            ["expires_in"] = 3600,
        }.ToJsonString()));
    }

    private static string Query(IRequestMessage request, string name) =>
        request.Query is { } query && query.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : "";

    private static ResponseMessage Json(int status, string json)
    {
        var response = new ResponseMessage
        {
            StatusCode = status,
            BodyData = new BodyData { DetectedBodyType = BodyType.String, BodyAsString = json, Encoding = Encoding.UTF8 },
        };
        response.AddHeader("Content-Type", "application/json");
        return response;
    }

    // The console exchanges the code from the browser, across origins.
    private static ResponseMessage WithCors(ResponseMessage response)
    {
        response.AddHeader("Access-Control-Allow-Origin", "*");
        return response;
    }
}
