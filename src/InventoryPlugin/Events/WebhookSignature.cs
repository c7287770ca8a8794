using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace InventoryPlugin.Events;

/// <summary>
/// How a receiver knows a delivery is ours and fresh: <c>X-Inventory-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex&gt;</c>,
/// where hex is HMAC-SHA256, keyed with the subscription's secret (its UTF-8 bytes), over
/// <c>&lt;t&gt;.&lt;raw body&gt;</c>. Receivers recompute it, compare in constant time, and reject an old t.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "X-Inventory-Signature";

    public static string Create(string secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(unixSeconds.ToString(CultureInfo.InvariantCulture) + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
        return $"t={unixSeconds.ToString(CultureInfo.InvariantCulture)},v1={Convert.ToHexStringLower(mac)}";
    }

    /// <summary>A new subscription's secret: 256 random bits.</summary>
    public static string NewSecret() => "whsec_" + Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
}
