namespace InventoryPlugin.Merchant;

/// <summary>How merchant API tokens are validated. Bound from the <c>MerchantAuth</c> section.</summary>
public sealed class MerchantAuthOptions
{
    public const string Section = "MerchantAuth";

    public string Issuer { get; set; } = "";

    public const string DefaultAudience = "inventory-plugin";

    public string Audience { get; set; } = DefaultAudience;

    /// <summary>A base64 HS256 key (development and simple deployments); ignored when <see cref="Authority"/> is set.</summary>
    public string SigningKey { get; set; } = "";

    /// <summary>An OIDC authority whose discovery document and JWKS are fetched and cached.</summary>
    public string Authority { get; set; } = "";

    /// <summary>Only for an authority on plain HTTP (a local identity provider); keep true in production.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>
    /// The console's client id at <see cref="Authority"/> (a public client, authorization code with PKCE);
    /// when empty the console only takes pasted tokens.
    /// </summary>
    public string ConsoleClientId { get; set; } = "";

    /// <summary>The scopes the console asks the authority for.</summary>
    public string ConsoleScope { get; set; } = "openid inventory:read inventory:write";

    /// <summary>Least time between two refreshes of the authority's keys after a token names an unknown key.</summary>
    public int KeyRefreshSeconds { get; set; } = 300;
}
