using System.Security.Cryptography;
using InventoryPlugin.Hosting;

namespace InventoryPlugin.Samples;

/// <summary>
/// The keys a service started with no configuration uses (made under its <c>data/dev-keys</c>), so
/// that what the tool signs, the service accepts.
/// </summary>
public sealed record DevelopmentCredentials(RSA PlatformKey, string AppId, byte[] MerchantSigningKey, string MerchantIssuer, string MerchantAudience)
{
    /// <summary>Loads the keys under <paramref name="root"/>/data/dev-keys, making them first if missing (keygen).</summary>
    public static DevelopmentCredentials LoadOrCreate(string root)
    {
        var (publicPem, folder, _) = DevelopmentKeys.LoadOrCreate(root);
        _ = publicPem;
        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(Path.Combine(folder, DevelopmentKeys.PrivateKeyFile)));
        var (merchantKey, _) = DevelopmentKeys.LoadOrCreateMerchantSigningKey(root);
        return new DevelopmentCredentials(rsa, DevelopmentKeys.AppId, Convert.FromBase64String(merchantKey), DevelopmentKeys.MerchantIssuer, Merchant.MerchantAuthOptions.DefaultAudience);
    }

    /// <summary>The repository root (the folder holding InventoryPlugin.sln) above the working directory, else the working directory.</summary>
    public static string FindRoot()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "InventoryPlugin.sln")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
