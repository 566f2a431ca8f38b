using System.Diagnostics;
using System.Net.Sockets;

namespace Chaos.Tests.Proxy.Support;

/// <summary>How a read-to-the-end finished.</summary>
public enum StreamEnd
{
    Closed,
    Reset,
    StillOpen,
}

public static class SocketExtensions
{
    public static async Task<Socket> ConnectAsync(int port, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(System.Net.IPAddress.Loopback, port, ct);
        return socket;
    }

    public static async Task SendAllAsync(this Socket socket, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        while (!data.IsEmpty)
        {
            data = data[await socket.SendAsync(data, SocketFlags.None, ct)..];
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes; throws if the stream ends first.</summary>
    public static async Task<byte[]> ReceiveExactlyAsync(this Socket socket, int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        for (var got = 0; got < count;)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, ct);
            got += read > 0 ? read : throw new EndOfStreamException($"stream ended after {got} of {count} bytes");
        }

        return buffer;
    }

    /// <summary>Reads until the peer closes or resets, or until <paramref name="within"/> passes.</summary>
    public static async Task<(byte[] Data, StreamEnd End, TimeSpan Elapsed, int Reads)> ReceiveToEndAsync(
        this Socket socket, TimeSpan within, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(within);
        var data = new MemoryStream();
        var buffer = new byte[64 * 1024];
        var reads = 0;
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
                if (read == 0)
                {
                    return (data.ToArray(), StreamEnd.Closed, Stopwatch.GetElapsedTime(started), reads);
                }

                reads++;
                data.Write(buffer, 0, read);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return (data.ToArray(), StreamEnd.Reset, Stopwatch.GetElapsedTime(started), reads);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (data.ToArray(), StreamEnd.StillOpen, Stopwatch.GetElapsedTime(started), reads);
        }
    }

    /// <summary>Round trip of one small message through an echo.</summary>
    public static async Task<TimeSpan> PingAsync(this Socket socket, CancellationToken ct, int size = 16)
    {
        var message = new byte[size];
        Random.Shared.NextBytes(message);
        var started = Stopwatch.GetTimestamp();
        await socket.SendAllAsync(message, ct);
        var reply = await socket.ReceiveExactlyAsync(size, ct);
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (!reply.AsSpan().SequenceEqual(message))
        {
            throw new InvalidDataException("echo returned different bytes");
        }

        return elapsed;
    }
}
