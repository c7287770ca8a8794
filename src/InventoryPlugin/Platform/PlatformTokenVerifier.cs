using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace InventoryPlugin.Platform;

/// <summary>Either the verified token's payload (UTF-8 JSON), or why it was refused (safe to show: never the token).</summary>
public readonly record struct TokenVerification(byte[]? Payload, string? Failure)
{
    public static TokenVerification Fail(string why) => new(null, why);
}

/// <summary>
/// Verifies the compact JWT that is the body of every platform request: RS256 only, under any of
/// the configured keys, with issuer, audience and lifetime checked within the configured skew.
/// </summary>
public sealed class PlatformTokenVerifier
{
    private const string OnlyAlgorithm = SecurityAlgorithms.RsaSha256;
    private readonly JsonWebTokenHandler _handler = new();
    private readonly TokenValidationParameters _parameters;
    private readonly TimeProvider _clock;

    public PlatformTokenVerifier(IOptions<WixOptions> options, TimeProvider clock)
    {
        var wix = options.Value;
        _clock = clock;
        _parameters = new TokenValidationParameters
        {
            ValidIssuer = wix.Issuer,
            ValidAudience = wix.AppId,
            IssuerSigningKeys = PlatformKeys.Load(wix),
            ValidAlgorithms = [OnlyAlgorithm],
            ClockSkew = TimeSpan.FromSeconds(wix.ClockSkewSeconds),
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ValidateIssuer = true,
            ValidateAudience = true,
            // The platform may send a kid that names no configured key: try them all.
            TryAllIssuerSigningKeys = true,
        };
    }

    public async Task<TokenVerification> VerifyAsync(string compactToken)
    {
        if (string.IsNullOrWhiteSpace(compactToken))
        {
            return TokenVerification.Fail("the body is empty; expected a signed JWT");
        }

        JsonWebToken token;
        try
        {
            token = new JsonWebToken(compactToken.Trim());
        }
        catch (Exception exception) when (exception is ArgumentException or SecurityTokenMalformedException)
        {
            // Three dot-separated parts look like a JWT: then say which part is wrong, not that it is no JWT at all.
            return TokenVerification.Fail(compactToken.Count(c => c == '.') == 2
                ? "the token's header or payload does not decode to a JSON object"
                : "the body is not a compact JWT");
        }

        if (!string.Equals(token.Alg, OnlyAlgorithm, StringComparison.Ordinal))
        {
            return TokenVerification.Fail($"algorithm '{Truncate(token.Alg)}' is not accepted; only RS256 is");
        }

        var result = await _handler.ValidateTokenAsync(token, _parameters).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return TokenVerification.Fail(Describe(result.Exception));
        }

        // Compared in seconds, so that an iat outside DateTimeOffset's range (years 1 to 9999) is judged, not thrown on.
        var latestIssuedAt = (_clock.GetUtcNow() + _parameters.ClockSkew).ToUnixTimeSeconds();
        if (token.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Iat, out var issuedAt) && issuedAt > latestIssuedAt)
        {
            return TokenVerification.Fail("the token's iat is in the future");
        }

        return new TokenVerification(DecodePayload(compactToken.AsSpan().Trim()), null);
    }

    /// <summary>The payload part of a token that has just verified, decoded straight from the compact form (no copy of the part).</summary>
    private static byte[] DecodePayload(ReadOnlySpan<char> compactToken)
    {
        var payloadStart = compactToken.IndexOf('.') + 1;
        var payloadLength = compactToken[payloadStart..].IndexOf('.');
        return System.Buffers.Text.Base64Url.DecodeFromChars(compactToken.Slice(payloadStart, payloadLength));
    }

    private static string Describe(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => "the token has expired",
        SecurityTokenNoExpirationException => "the token has no exp claim",
        SecurityTokenNotYetValidException => "the token is not valid yet (nbf)",
        SecurityTokenInvalidLifetimeException => "the token's lifetime is not valid",
        SecurityTokenInvalidAudienceException => "the token's audience (aud) is not this app",
        SecurityTokenInvalidIssuerException => "the token's issuer (iss) is not accepted",
        SecurityTokenInvalidAlgorithmException => "the token's algorithm is not accepted; only RS256 is",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "the signature does not verify under any configured key",
        SecurityTokenMalformedException => "the body is not a compact JWT",
        _ => "the token is not valid",
    };

    private static string Truncate(string? text) =>
        text is null ? "" : text.Length <= 16 ? text : text[..16] + "…";
}
