using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace InventoryPlugin.Tests.Infrastructure;

/// <summary>One webhook request as the receiver got it: the raw body (what the signature covers) and the headers.</summary>
public sealed record ReceivedDelivery(byte[] Body, string? Signature, string? EventId, string? EventType, DateTime ReceivedAt)
{
    public JsonNode Json => JsonNode.Parse(Body)!;

    public string ItemId => Json["catalogReference"]!["catalogItemId"]!.GetValue<string>();
}

/// <summary>
/// A merchant's webhook endpoint: a WireMock.Net server whose one mapping records every POST and answers
/// as <see cref="Answer"/> decides (status code, and how long to stall before answering).
/// </summary>
public sealed class WebhookReceiver : IDisposable
{
    private const string PathName = "/hooks/inventory";

    // Loopback only (WireMock listens on every interface by default).
    private readonly WireMockServer _server = WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] });
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentQueue<ReceivedDelivery> _received = new();
    private readonly ConcurrentDictionary<string, int> _attempts = new();

    public WebhookReceiver()
    {
        _server.Given(Request.Create().WithPath(PathName).UsingPost())
            .RespondWith(Response.Create().WithCallback(async request =>
            {
                var delivery = new ReceivedDelivery(
                    request.BodyAsBytes ?? Encoding.UTF8.GetBytes(request.Body ?? ""),
                    Header(request, "X-Inventory-Signature"),
                    Header(request, "X-Inventory-Event-Id"),
                    Header(request, "X-Inventory-Event-Type"),
                    DateTime.UtcNow);
                _received.Enqueue(delivery);
                var attempt = _attempts.AddOrUpdate(delivery.EventId ?? "", 1, (_, n) => n + 1);
                var (status, stall) = Answer(delivery, attempt);
                if (stall > TimeSpan.Zero)
                {
                    // A stalled answer ends with the receiver, so that stopping it never waits for one.
                    await Task.Delay(stall, _stopping.Token).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
                }

                return new ResponseMessage { StatusCode = status };
            }));
    }

    public string Url => _server.Urls[0] + PathName;

    /// <summary>What to answer to a delivery, given how many times this event has arrived (1 the first time).</summary>
    public Func<ReceivedDelivery, int, (int Status, TimeSpan Stall)> Answer { get; set; } = (_, _) => (200, TimeSpan.Zero);

    public IReadOnlyList<ReceivedDelivery> Received => _received.ToArray();

    /// <summary>Requests WireMock itself logged for the path: the count the recorded list must agree with.</summary>
    public int Logged => _server.LogEntries.Count(e => e.RequestMessage.Path == PathName);

    public void Dispose()
    {
        _stopping.Cancel();
        _server.Stop();
        _stopping.Dispose();
    }

    private static string? Header(IRequestMessage request, string name) =>
        request.Headers?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();
}
