using System.Security.Cryptography;

namespace InventoryPlugin.Hosting;

/// <summary>
/// With no platform key configured, Development uses a key pair of its own under <c>data/dev-keys</c>,
/// made on first run, so the samples tool can sign requests the service accepts.
/// </summary>
public static class DevelopmentKeys
{
    public const string AppId = "00000000-0000-4000-8000-00000000d3e0";
    public const string Folder = "data/dev-keys";
    public const string PrivateKeyFile = "platform-private.pem";
    public const string PublicKeyFile = "platform-public.pem";
    public const string MerchantSigningKeyFile = "merchant-signing-key.txt";
    public const string MerchantIssuer = "inventory-plugin-dev";

    /// <summary>Returns the public key PEM, making the pair first if it does not exist.</summary>
    public static (string PublicKeyPem, string Folder, bool Created) LoadOrCreate(string contentRoot)
    {
        var folder = Path.GetFullPath(Path.Combine(contentRoot, Folder));
        var privatePath = Path.Combine(folder, PrivateKeyFile);
        var publicPath = Path.Combine(folder, PublicKeyFile);
        if (File.Exists(publicPath) && File.Exists(privatePath))
        {
            return (File.ReadAllText(publicPath), folder, false);
        }

        Directory.CreateDirectory(folder);
        using var rsa = RSA.Create(2048);
        File.WriteAllText(privatePath, rsa.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(privatePath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var publicPem = rsa.ExportSubjectPublicKeyInfoPem();
        File.WriteAllText(publicPath, publicPem);
        return (publicPem, folder, true);
    }

    /// <summary>The base64 HS256 key for development merchant tokens, made on first use.</summary>
    public static (string SigningKey, string Path) LoadOrCreateMerchantSigningKey(string contentRoot)
    {
        var folder = System.IO.Path.GetFullPath(System.IO.Path.Combine(contentRoot, Folder));
        var path = System.IO.Path.Combine(folder, MerchantSigningKeyFile);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(path, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        return (File.ReadAllText(path).Trim(), path);
    }
}
