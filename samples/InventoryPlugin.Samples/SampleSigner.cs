using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace InventoryPlugin.Samples;

/// <summary>Signs sample envelopes the way the platform does (or, for the broken samples, the ways it must not).</summary>
public sealed class SampleSigner(DevelopmentCredentials credentials, string platformIssuer = "wix.com")
{
    public string SignPlatform(JsonNode? data, TokenSpec? spec)
    {
        spec ??= new TokenSpec();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var issuedAt = now - spec.IssuedSecondsAgo;
        var payload = new JsonObject
        {
            ["data"] = data?.DeepClone(),
            ["iss"] = spec.Issuer ?? platformIssuer,
            ["aud"] = spec.Audience ?? credentials.AppId,
            ["iat"] = issuedAt,
            ["exp"] = issuedAt + spec.ExpiresInSeconds,
        };
        var algorithm = spec.Algorithm ?? "RS256";
        var input = Base64UrlEncoder.Encode(new JsonObject { ["alg"] = algorithm, ["typ"] = "JWT" }.ToJsonString())
            + "." + Base64UrlEncoder.Encode(payload.ToJsonString());
        return spec.Signer switch
        {
            "platform" when algorithm == "RS256" => input + "." + SignRs256(input, credentials.PlatformKey),
            "other-key" => input + "." + SignRs256(input, RSA.Create(2048)),
            "none" => input + ".",
            _ => throw new InvalidDataException($"Unknown signer '{spec.Signer}' with alg '{algorithm}'."),
        };
    }

    /// <summary>A merchant API token for the development signing key.</summary>
    public string MerchantToken(string instanceId, string scopes, TimeSpan? lifetime = null) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = credentials.MerchantIssuer,
            Audience = credentials.MerchantAudience,
            Expires = DateTime.UtcNow + (lifetime ?? TimeSpan.FromHours(8)),
            Claims = new Dictionary<string, object> { ["instance_id"] = instanceId, ["scope"] = scopes, ["sub"] = "samples-tool" },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(credentials.MerchantSigningKey), SecurityAlgorithms.HmacSha256),
        });

    private static string SignRs256(string input, RSA key) =>
        Base64UrlEncoder.Encode(key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
}
