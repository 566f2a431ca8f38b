using System.Diagnostics;
using System.Net.Sockets;

namespace Chaos.Tests.Network;

/// <summary>Socket steps the tests share; every wait is bounded by the caller's token or an explicit limit.</summary>
public static class Sockets
{
    /// <summary>Sends <paramref name="data"/> and reads the same number of bytes back (from an echo server).</summary>
    public static async Task<byte[]> ExchangeAsync(this Socket socket, byte[] data, CancellationToken ct)
    {
        var send = socket.SendAsync(data, SocketFlags.None, ct).AsTask();
        var answer = new byte[data.Length];
        var read = 0;
        while (read < answer.Length)
        {
            var n = await socket.ReceiveAsync(answer.AsMemory(read), SocketFlags.None, ct);
            if (n == 0) throw new IOException($"the connection closed after {read} of {data.Length} bytes");
            read += n;
        }
        await send;
        return answer;
    }

    /// <summary>An exchange that must finish within <paramref name="within"/>.</summary>
    public static async Task<byte[]> ExchangeAsync(this Socket socket, byte[] data, TimeSpan within, CancellationToken ct)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(within);
        return await socket.ExchangeAsync(data, bound.Token);
    }

    /// <summary>TCP keepalive as the kernel does it: first probe after <paramref name="idle"/>, then every <paramref name="interval"/>, dead after <paramref name="count"/> unanswered.</summary>
    public static void SetKeepalive(this Socket socket, int idle, int interval, int count)
    {
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, idle);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, interval);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, count);
    }

    /// <summary>
    /// TCP_SYNCNT (Linux, IPPROTO_TCP 7): SYN retransmissions before connect gives up with ETIMEDOUT.
    /// With 1: a SYN, one retry after 1 s, failure 2 s later, so 3 s in all.
    /// </summary>
    public static void SetSynRetries(this Socket socket, int retries) =>
        socket.SetRawSocketOption(6, 7, BitConverter.GetBytes(retries));

    /// <summary>Awaits <paramref name="operation"/> and returns how long it took to fail with a socket error, and which.</summary>
    public static async Task<(SocketError Error, TimeSpan After)> FailureOfAsync(Func<Task> operation)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await operation();
        }
        catch (SocketException e)
        {
            return (e.SocketErrorCode, clock.Elapsed);
        }
        catch (IOException e) when (e.InnerException is SocketException inner)
        {
            return (inner.SocketErrorCode, clock.Elapsed);
        }
        throw new InvalidOperationException($"expected a socket error, but the operation succeeded after {clock.Elapsed.TotalSeconds:0.00}s");
    }
}
