using System.Buffers.Text;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using InventoryPlugin.Stock;

namespace InventoryPlugin.Bench;

/// <summary>One pre-signed platform request: the compact JWT that is the whole HTTP body.</summary>
public readonly record struct PlatformRequest(StockOperation Operation, byte[] Token);

/// <summary>
/// Requests signed before any timed window, each with its own requestId and orderId. Every service
/// run starts on a fresh database, so one pool serves all runs of the scenarios that share it;
/// within one run no request is sent twice.
/// </summary>
public sealed class RequestPool
{
    private static readonly string Header = Base64Url.EncodeToString("""{"alg":"RS256","typ":"JWT"}"""u8);

    private RequestPool(PoolKind kind, PlatformRequest[] requests, TimeSpan signingTime)
    {
        Kind = kind;
        Requests = requests;
        SigningTime = signingTime;
    }

    public PoolKind Kind { get; }

    public IReadOnlyList<PlatformRequest> Requests { get; }

    public TimeSpan SigningTime { get; }

    public int Count => Requests.Count;

    /// <summary>Signs <paramref name="count"/> requests on every core (one RSA instance per thread).</summary>
    public static RequestPool Sign(PoolKind kind, int count, BenchIdentity identity)
    {
        var started = Stopwatch.GetTimestamp();
        var key = identity.PlatformKey.ExportParameters(includePrivateParameters: true);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var requests = new PlatformRequest[count];
        Parallel.For(
            0,
            count,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            () =>
            {
                var rsa = RSA.Create();
                rsa.ImportParameters(key);
                return rsa;
            },
            (i, _, rsa) =>
            {
                var (operation, payload) = Payload(kind, i, identity.InstanceId, now);
                var input = Header + "." + Base64Url.EncodeToString(payload);
                var inputBytes = Encoding.ASCII.GetBytes(input);
                var signature = rsa.SignData(inputBytes, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                requests[i] = new PlatformRequest(operation, Encoding.ASCII.GetBytes(input + "." + Base64Url.EncodeToString(signature)));
                return rsa;
            },
            rsa => rsa.Dispose());
        return new RequestPool(kind, requests, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>
    /// The same requests' JWT payloads, unsigned, as the service's verifier would hand them to its envelope
    /// parser: what the in-process ceiling is fed (it needs no signature, so it costs no signing time).
    /// </summary>
    public static byte[][] Payloads(PoolKind kind, int count, string instanceId)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payloads = new byte[count][];
        Parallel.For(0, count, i => payloads[i] = Payload(kind, i, instanceId, now).Payload);
        return payloads;
    }

    private static (StockOperation Operation, byte[] Payload) Payload(PoolKind kind, int index, string instanceId, long now)
    {
        var (operation, data) = Envelope(kind, index, instanceId);
        var payload = BenchIdentity.Json(w =>
        {
            w.WritePropertyName("data");
            w.WriteRawValue(data, skipInputValidation: true);
            w.WriteString("iss", BenchIdentity.PlatformIssuer);
            w.WriteString("aud", BenchIdentity.AppId);
            w.WriteNumber("iat", now);
            // Long enough for the whole bench: the same pool is replayed to every fresh service.
            w.WriteNumber("exp", now + 4 * 3600);
        });
        return (operation, payload);
    }

    /// <summary>Decrement or increment: request number <paramref name="index"/> of a pool of this kind.</summary>
    public static StockOperation OperationOf(PoolKind kind, int index) =>
        kind == PoolKind.HotRecord && index % 4 == 3 ? StockOperation.Increment : StockOperation.Decrement;

    /// <summary>The <c>data</c> claim of request number <paramref name="index"/>: deterministic in the index, fresh ids.</summary>
    private static (StockOperation Operation, byte[] Data) Envelope(PoolKind kind, int index, string instanceId)
    {
        var random = new Random(index);
        var operation = OperationOf(kind, index);
        var items = kind switch
        {
            PoolKind.SingleItem => [(Scenario.ItemId(random.Next(Scenario.Records)), 1)],
            PoolKind.HotRecord => [(Scenario.HotItemId, operation == StockOperation.Increment ? 3 : 1)],
            _ => Distinct(random, 50).Select(r => (Scenario.ItemId(r), 1)).ToArray(),
        };
        var data = BenchIdentity.Json(w =>
        {
            w.WriteStartObject("request");
            w.WriteStartArray("items");
            foreach (var (catalogItemId, quantity) in items)
            {
                w.WriteStartObject();
                w.WriteStartObject("catalogReference");
                w.WriteString("catalogItemId", catalogItemId);
                w.WriteString("appId", BenchIdentity.StoresAppId);
                w.WriteNull("options");
                w.WriteEndObject();
                w.WriteNumber("quantity", quantity);
                w.WriteBoolean("subscriptionItem", false);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (operation == StockOperation.Decrement)
            {
                w.WriteBoolean("restrictInventoryValue", true);
            }

            w.WriteString("orderId", Guid.NewGuid().ToString());
            w.WriteString("reason", operation == StockOperation.Decrement ? "ORDER_PLACED" : "ORDER_CANCELED");
            w.WriteEndObject();
            w.WriteStartObject("metadata");
            w.WriteString("requestId", Guid.NewGuid().ToString());
            w.WriteString("instanceId", instanceId);
            w.WriteString("currency", "EUR");
            w.WriteStartArray("languages");
            w.WriteStringValue("de-DE");
            w.WriteEndArray();
            w.WriteStartObject("identity");
            w.WriteString("identityType", "ANONYMOUS_VISITOR");
            w.WriteString("anonymousVisitorId", Guid.NewGuid().ToString());
            w.WriteEndObject();
            w.WriteString("appExtensionType", "ECOM_INVENTORY");
            w.WriteEndObject();
        });
        return (operation, data);
    }

    private static int[] Distinct(Random random, int count)
    {
        var all = Enumerable.Range(0, Scenario.Records).ToArray();
        for (var i = 0; i < count; i++)
        {
            var j = random.Next(i, all.Length);
            (all[i], all[j]) = (all[j], all[i]);
        }

        return all[..count];
    }
}
