using System.Security.Cryptography;
using System.Text;
using InventoryPlugin.Hosting;
using Microsoft.IdentityModel.Tokens;

namespace InventoryPlugin.Platform;

/// <summary>Reads configured RSA public keys, in either of the two forms the contract allows.</summary>
public static class PlatformKeys
{
    public static IReadOnlyList<SecurityKey> Load(WixOptions options)
    {
        var texts = new[] { options.PublicKey }.Concat(options.AdditionalPublicKeys).Where(k => !string.IsNullOrWhiteSpace(k)).ToList();
        if (texts.Count == 0)
        {
            throw new ConfigurationException("Wix:PublicKey is not set: platform requests cannot be verified.");
        }

        return texts.Select((text, index) => (SecurityKey)new RsaSecurityKey(Parse(text, index))).ToList();
    }

    private static RSA Parse(string text, int index)
    {
        var pem = text.Contains("-----BEGIN", StringComparison.Ordinal) ? text : DecodeBase64Pem(text, index);
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
        }
        catch (Exception exception) when (exception is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
            throw new ConfigurationException($"Platform public key #{index + 1} is not an RSA public key in PEM form.", exception);
        }

        if (rsa.KeySize < 2048)
        {
            rsa.Dispose();
            throw new ConfigurationException($"Platform public key #{index + 1} has {rsa.KeySize} bits; at least 2048 are required.");
        }

        return rsa;
    }

    private static string DecodeBase64Pem(string text, int index)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(text.Trim()));
        }
        catch (FormatException exception)
        {
            throw new ConfigurationException($"Platform public key #{index + 1} is neither PEM nor base64-encoded PEM.", exception);
        }
    }
}
