using System.Net;
using InventoryPlugin.Stock;

namespace InventoryPlugin.Bench;

/// <summary>The load generator's connections to one service process: HTTP/1.1 keep-alive, at most N at once.</summary>
public sealed class ServiceClient : IDisposable
{
    private readonly HttpClient _client;
    private readonly Uri _decrement;
    private readonly Uri _increment;

    public ServiceClient(ServiceUnderTest service, int connections)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        };
        _client = new HttpClient(handler, disposeHandler: true) { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        _decrement = new Uri(service.BaseAddress, "/v1/decrement");
        _increment = new Uri(service.BaseAddress, "/v1/increment");
    }

    /// <summary>Posts one pre-signed request and returns the answer's status code.</summary>
    public async Task<int> SendAsync(PlatformRequest request)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, request.Operation == StockOperation.Decrement ? _decrement : _increment)
        {
            Content = new ByteArrayContent(request.Token),
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        message.Content.Headers.TryAddWithoutValidation("Content-Type", "text/plain");
        using var response = await _client.SendAsync(message, HttpCompletionOption.ResponseContentRead).ConfigureAwait(false);
        return (int)response.StatusCode;
    }

    public void Dispose() => _client.Dispose();
}
