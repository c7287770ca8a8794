using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace InventoryPlugin.Tests.Infrastructure;

/// <summary>Mints merchant API tokens: HS256 with the instance's signing key, or RS256 with a JWKS key.</summary>
public sealed class MerchantTokens(byte[] signingKey, string issuer, string audience)
{
    public string Mint(string? tenant, string scopes, Action<SecurityTokenDescriptor>? edit = null) =>
        Mint(new SigningCredentials(new SymmetricSecurityKey(signingKey), SecurityAlgorithms.HmacSha256), issuer, audience, tenant, scopes, edit);

    public static string Mint(SigningCredentials credentials, string issuer, string audience, string? tenant, string scopes, Action<SecurityTokenDescriptor>? edit = null)
    {
        var claims = new Dictionary<string, object> { ["scope"] = scopes, ["sub"] = "merchant-" + Guid.NewGuid().ToString("N")[..8] };
        if (tenant is not null)
        {
            claims["instance_id"] = tenant;
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Expires = DateTime.UtcNow.AddMinutes(10),
            Claims = claims,
            SigningCredentials = credentials,
            Subject = new ClaimsIdentity(),
        };
        edit?.Invoke(descriptor);
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }
}
