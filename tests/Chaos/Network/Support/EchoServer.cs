using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Chaos.Harness.Network.Kernel;

namespace Chaos.Tests.Network;

/// <summary>
/// A TCP echo server inside a database host: its listening socket is created in the host's namespace
/// (sockets keep the namespace they were created in), the accept loop runs on ordinary threads.
/// Counts what it received, so a test can tell "the server never got it" from "the answer was lost".
/// </summary>
public sealed class EchoServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Socket> _accepted = [];
    private readonly Task _loop;
    private long _received;

    private EchoServer(Socket listener)
    {
        _listener = listener;
        _loop = AcceptLoopAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public long BytesReceived => Interlocked.Read(ref _received);

    /// <summary>Where each accepted connection came from, as the server saw it.</summary>
    public IReadOnlyList<IPEndPoint> Peers => [.. _accepted.Select(s => (IPEndPoint)s.RemoteEndPoint!)];

    internal static async Task<EchoServer> StartAsync(DatabaseHost host, CancellationToken ct)
    {
        var listener = await host.OpenSocketAsync(ct);
        listener.Bind(new IPEndPoint(host.Address, 0));
        listener.Listen(64);
        return new EchoServer(listener);
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptAsync(_stop.Token);
                _accepted.Add(socket);
                _ = EchoAsync(socket);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { /* stopped */ }
    }

    private async Task EchoAsync(Socket socket)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0) return;
                Interlocked.Add(ref _received, n);
                await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { /* the test broke or closed it */ }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        foreach (var socket in _accepted) socket.Dispose();
        await _loop;
        _stop.Dispose();
    }
}
