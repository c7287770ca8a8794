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
}
