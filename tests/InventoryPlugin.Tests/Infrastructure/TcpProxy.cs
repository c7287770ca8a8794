using System.Net;
using System.Net.Sockets;

namespace InventoryPlugin.Tests.Infrastructure;

/// <summary>
/// A loopback TCP relay in front of a server, which a test can cut (every connection dropped, new ones
/// refused) and restore: a database outage without stopping the database.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly int _targetPort;
    private readonly Lock _gate = new();
    private readonly List<TcpClient> _open = [];
    private readonly CancellationTokenSource _stopping = new();
    private TcpListener? _listener;
    private Task? _accepting;

    public TcpProxy(int targetPort)
    {
        _targetPort = targetPort;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Restore();
    }

    public int Port { get; }

    /// <summary>Drops every relayed connection and stops listening, so new connections are refused.</summary>
    public void Cut()
    {
        lock (_gate)
        {
            _listener?.Stop();
            _listener = null;
            foreach (var client in _open)
            {
                client.Dispose();
            }

            _open.Clear();
        }
    }

    /// <summary>Listens (again) on <see cref="Port"/>.</summary>
    public void Restore()
    {
        lock (_gate)
        {
            _listener = new TcpListener(IPAddress.Loopback, Port);
            _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _listener.Start();
            var listener = _listener;
            _accepting = Task.Run(() => AcceptAsync(listener));
        }
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(_stopping.Token);
                var server = new TcpClient();
                try
                {
                    await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stopping.Token);
                }
                catch (SocketException)
                {
                    client.Dispose();
                    server.Dispose();
                    continue;
                }

                lock (_gate)
                {
                    _open.Add(client);
                    _open.Add(server);
                }

                _ = RelayAsync(client, server);
                _ = RelayAsync(server, client);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Cut or disposed.
        }
    }

    private static async Task RelayAsync(TcpClient from, TcpClient to)
    {
        try
        {
            await from.GetStream().CopyToAsync(to.GetStream());
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or SocketException)
        {
            // One side went away.
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        Cut();
        if (_accepting is not null)
        {
            await _accepting.ContinueWith(_ => { }, TaskScheduler.Default);
        }

        _stopping.Dispose();
    }
}
