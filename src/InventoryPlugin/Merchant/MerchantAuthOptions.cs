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

    /// <summary>Least time between two refreshes of the authority's keys after a token names an unknown key.</summary>
    public int KeyRefreshSeconds { get; set; } = 300;
}
