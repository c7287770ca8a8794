using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace InventoryPlugin.Bench;

/// <summary>
/// The keys and names of one bench invocation: a fresh platform RSA key pair, a fresh merchant HS256
/// key, the app id and the tenant. Every service started by the bench trusts exactly these.
/// </summary>
public sealed class BenchIdentity : IDisposable
{
    public const string AppId = "6f1c3b52-7d1e-4a41-9d0b-2f3b8e1c0a11";
    public const string PlatformIssuer = "wix.com";
    public const string MerchantIssuer = "inventory-plugin-bench";
    public const string MerchantAudience = "inventory-plugin";

    /// <summary>The Wix Stores app id: the catalog the seeded items belong to.</summary>
    public const string StoresAppId = "215238eb-22a5-4c36-9e7b-e7c08025e04e";

    public RSA PlatformKey { get; } = RSA.Create(2048);

    public byte[] MerchantKey { get; } = RandomNumberGenerator.GetBytes(32);

    public string InstanceId { get; } = Guid.NewGuid().ToString();

    /// <summary>The public key as <c>Wix:PublicKey</c> takes it from an environment variable: the PEM, base64-encoded once more.</summary>
    public string PublicKeyForEnvironment => Convert.ToBase64String(Encoding.ASCII.GetBytes(PlatformKey.ExportSubjectPublicKeyInfoPem()));

    /// <summary>A merchant API token for the bench tenant, HS256 like the development tokens.</summary>
    public string MintMerchantToken()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = Json(w =>
        {
            w.WriteString("iss", MerchantIssuer);
            w.WriteString("aud", MerchantAudience);
            w.WriteString("sub", "bench");
            w.WriteString("instance_id", InstanceId);
            w.WriteString("scope", "inventory:read inventory:write");
            w.WriteNumber("iat", now);
            w.WriteNumber("nbf", now - 5);
            w.WriteNumber("exp", now + 3600);
        });
        var input = Base64Url.EncodeToString("""{"alg":"HS256","typ":"JWT"}"""u8) + "." + Base64Url.EncodeToString(payload);
        return input + "." + Base64Url.EncodeToString(HMACSHA256.HashData(MerchantKey, Encoding.ASCII.GetBytes(input)));
    }

    public void Dispose() => PlatformKey.Dispose();

    internal static byte[] Json(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
