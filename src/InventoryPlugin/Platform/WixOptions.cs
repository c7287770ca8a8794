namespace InventoryPlugin.Platform;

/// <summary>How platform requests are verified. Bound from the <c>Wix</c> section.</summary>
public sealed class WixOptions
{
    public const string Section = "Wix";

    /// <summary>The app id: the only audience (<c>aud</c>) accepted.</summary>
    public string AppId { get; set; } = "";

    /// <summary>The app's RSA public key: PEM, or the whole PEM base64-encoded once more.</summary>
    public string PublicKey { get; set; } = "";

    /// <summary>More keys, accepted alongside <see cref="PublicKey"/> while a rotation overlaps.</summary>
    public List<string> AdditionalPublicKeys { get; set; } = [];

    public string Issuer { get; set; } = "wix.com";

    public int ClockSkewSeconds { get; set; } = 60;
}
