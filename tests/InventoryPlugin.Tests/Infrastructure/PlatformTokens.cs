using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;

namespace InventoryPlugin.Tests.Infrastructure;

/// <summary>Signs envelopes the way the platform does: a compact RS256 JWT whose <c>data</c> claim is the envelope.</summary>
public sealed class PlatformTokens(RSA key, string appId, string issuer = "wix.com")
{
    public RSA Key { get; } = key;

    public string AppId { get; } = appId;

    public static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <param name="claims">Edits the payload (iss, aud, iat, exp, data) before signing.</param>
    /// <param name="header">Edits the JOSE header before signing.</param>
    public string Sign(JsonNode? data, Action<JsonObject>? claims = null, Action<JsonObject>? header = null)
    {
        var payload = new JsonObject
        {
            ["data"] = data?.DeepClone(),
            ["iss"] = issuer,
            ["aud"] = AppId,
            ["iat"] = Now,
            ["exp"] = Now + 300,
        };
        claims?.Invoke(payload);
        var head = DefaultHeader();
        header?.Invoke(head);
        return SignRs256(head, payload, Key);
    }

    /// <summary>
    /// Signs a payload given as raw bytes, exactly as they are: for payloads a <see cref="JsonObject"/>
    /// cannot hold (duplicate keys, lone surrogate escapes, invalid UTF-8, broken JSON).
    /// </summary>
    public string SignPayload(byte[] payload, JsonObject? header = null) =>
        SignRs256(
            Base64UrlEncoder.Encode((header ?? DefaultHeader()).ToJsonString()) + "." + Base64UrlEncoder.Encode(payload),
            Key);

    public static string SignRs256(JsonObject header, JsonObject payload, RSA key) => SignRs256(SigningInput(header, payload), key);

    private static string SignRs256(string signingInput, RSA key)
    {
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64UrlEncoder.Encode(signature);
    }

    public static string SignHs256(JsonObject header, JsonObject payload, byte[] secret)
    {
        var input = SigningInput(header, payload);
        return input + "." + Base64UrlEncoder.Encode(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(input)));
    }

    /// <summary>The header the platform signs with.</summary>
    public static JsonObject DefaultHeader() => new() { ["alg"] = "RS256", ["typ"] = "JWT" };

    public static string SigningInput(JsonObject header, JsonObject payload) =>
        Base64UrlEncoder.Encode(header.ToJsonString()) + "." + Base64UrlEncoder.Encode(payload.ToJsonString());

    /// <summary>The claims <see cref="Sign"/> would use, for tests that sign by other means.</summary>
    public JsonObject DefaultPayload(JsonNode? data) => new()
    {
        ["data"] = data?.DeepClone(),
        ["iss"] = issuer,
        ["aud"] = AppId,
        ["iat"] = Now,
        ["exp"] = Now + 300,
    };
}
