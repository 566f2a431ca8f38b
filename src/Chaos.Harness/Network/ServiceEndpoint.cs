using System.Net;
using System.Net.Sockets;
using Chaos.Harness.Servers.Internal;

namespace Chaos.Harness.Network;

/// <summary>
/// The one address a platform gives the application for "the primary" (a cloud writer endpoint's DNS
/// name): new connections go wherever it points now; connections already made stay with the server they
/// reached, and break however that server breaks. Moving it is what RDS, Azure and Cloud SQL do after a
/// failover. A plain relay on a loopback port leased for the environment's life; no toxics, no API.
/// </summary>
internal sealed class ServiceEndpoint : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly List<(TcpClient Client, TcpClient Server)> _relays = [];
    private volatile IPEndPoint _target;

    private ServiceEndpoint(TcpListener listener, IPEndPoint target)
    {
        _listener = listener;
        _target = target;
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptAsync);
    }

    public string Host => "127.0.0.1";
    public int Port { get; }

    /// <summary>Where new connections go now.</summary>
    public IPEndPoint Target => _target;

    public static ServiceEndpoint Start(string targetHost, int targetPort)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = LoopbackPorts.Reserve();
            var listener = new TcpListener(IPAddress.Loopback, port);
            try
            {
                listener.Start();
                return new ServiceEndpoint(listener, new IPEndPoint(IPAddress.Parse(targetHost), targetPort));
            }
            catch (SocketException) when (attempt < 5)
            {
                // Another process took the leased port first: lease another.
                listener.Dispose();
                LoopbackPorts.Release(port);
            }
        }
    }

    /// <summary>Points new connections at another server; connections already made are left alone.</summary>
    public void MoveTo(string host, int port) => _target = new IPEndPoint(IPAddress.Parse(host), port);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_relays)
        {
            foreach (var (client, server) in _relays)
            {
                client.Dispose();
                server.Dispose();
            }
            _relays.Clear();
        }
        LoopbackPorts.Release(Port);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = RelayAsync(client, _target);
        }
    }

    private async Task RelayAsync(TcpClient client, IPEndPoint target)
    {
        var server = new TcpClient { NoDelay = true };
        client.NoDelay = true;
        try
        {
            using var connect = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            connect.CancelAfter(TimeSpan.FromSeconds(10));
            await server.ConnectAsync(target, connect.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            // The server is down: the application sees its connection refused, as through a real endpoint.
            client.Client.LingerState = new LingerOption(true, 0);
            client.Dispose();
            server.Dispose();
            return;
        }
        lock (_relays)
        {
            _relays.Add((client, server));
        }
        var up = PumpAsync(client.GetStream(), server.GetStream());
        var down = PumpAsync(server.GetStream(), client.GetStream());
        await Task.WhenAny(up, down);
        client.Dispose();
        server.Dispose();
        lock (_relays)
        {
            _relays.Remove((client, server));
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Either side went away: the relay ends, closing the other side too.
        }
    }
}
