using System.Net;
using System.Net.Sockets;

namespace Chaos.Tests.Proxy.Support;

/// <summary>A loopback TCP server running a handler per connection: the real upstream behind a proxy.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _accepted = [];
    private readonly Task _accepting;
    private int _connections;

    private TestServer(Func<Socket, CancellationToken, Task> handler)
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(256);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _accepting = AcceptAsync(handler);
    }

    public IPEndPoint EndPoint { get; }

    public string Address => $"127.0.0.1:{EndPoint.Port}";

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Echoes every byte back until the client half-closes, then closes.</summary>
    public static TestServer Echo() => new(async (socket, ct) =>
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0)
        {
            await socket.SendAllAsync(buffer.AsMemory(0, read), ct);
        }

        socket.Shutdown(SocketShutdown.Send);
    });

    /// <summary>Sends <paramref name="payload"/> as soon as a client connects, then closes.</summary>
    public static TestServer SendThenClose(byte[] payload) => new(async (socket, ct) =>
    {
        await socket.SendAllAsync(payload, ct);
        socket.Shutdown(SocketShutdown.Send);
    });

    /// <summary>What a <see cref="Sink"/> received, one entry per connection it saw end.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<byte[]> Received { get; } = new();

    /// <summary>Reads everything, sends nothing, and records what each connection delivered.</summary>
    public static TestServer Sink()
    {
        TestServer? server = null;
        server = new TestServer(async (socket, ct) =>
        {
            var data = new MemoryStream();
            var buffer = new byte[64 * 1024];
            try
            {
                int read;
                while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, ct)) > 0)
                {
                    data.Write(buffer, 0, read);
                }
            }
            finally
            {
                server!.Received.Enqueue(data.ToArray());
            }
        });
        return server;
    }

    /// <summary>Resets the connection (TCP RST) as soon as a byte arrives: a server that crashes under a request.</summary>
    public static TestServer ResetOnFirstData() => new(async (socket, ct) =>
    {
        await socket.ReceiveAsync(new byte[1], SocketFlags.None, ct);
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    });

    /// <summary>Sends nothing; keeps the connection until the client leaves.</summary>
    public static TestServer Silent() => new(async (socket, ct) =>
    {
        var buffer = new byte[1024];
        while (await socket.ReceiveAsync(buffer, SocketFlags.None, ct) > 0)
        {
        }
    });

    private async Task AcceptAsync(Func<Socket, CancellationToken, Task> handler)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            socket.NoDelay = true;
            Interlocked.Increment(ref _connections);
            lock (_accepted)
            {
                _accepted.Add(socket);
            }

            _ = Task.Run(async () =>
            {
                try
                {
                    await handler(socket, _stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    // The proxy or the test went away: nothing to serve.
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _accepting;
        lock (_accepted)
        {
            foreach (var socket in _accepted)
            {
                socket.Dispose();
            }
        }

        _stop.Dispose();
    }
}
