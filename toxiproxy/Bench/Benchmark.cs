using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;

namespace Toxiproxy.Bench;

/// <summary>
/// `toxiproxy bench`: throughput and added round-trip latency of a toxic-free proxy, next to a
/// direct connection to the same local servers, in one run.
/// </summary>
internal static class Benchmark
{
    private const long ThroughputBytes = 256L * 1024 * 1024;
    private const int PingCount = 5_000;
    private const int Rounds = 5;

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    public static async Task<int> RunAsync(TextWriter output)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var ct = cts.Token;
        using var sink = new Listener(SinkAsync);
        using var echo = new Listener(EchoAsync);
        await using var server = await ToxiproxyServer.StartAsync(new ToxiproxyServerOptions { Port = 0 }, ct);
        using var http = new HttpClient { BaseAddress = server.ApiAddress };
        var sinkProxy = await CreateProxyAsync(http, "bench_sink", sink.EndPoint, ct);
        var echoProxy = await CreateProxyAsync(http, "bench_echo", echo.EndPoint, ct);

        // Warm up both paths (JIT, tiered compilation) before measuring.
        await ThroughputAsync(sink.EndPoint, 64L * 1024 * 1024, ct);
        await ThroughputAsync(sinkProxy, 64L * 1024 * 1024, ct);
        await PingAsync(echo.EndPoint, 2_000, ct);
        await PingAsync(echoProxy, 2_000, ct);

        // Alternate the two paths so a noisy neighbour hurts both alike; report medians.
        var directRates = new List<double>();
        var proxiedRates = new List<double>();
        var directPings = new List<(double P50, double P99)>();
        var proxiedPings = new List<(double P50, double P99)>();
        for (var round = 0; round < Rounds; round++)
        {
            directRates.Add(await ThroughputAsync(sink.EndPoint, ThroughputBytes, ct));
            proxiedRates.Add(await ThroughputAsync(sinkProxy, ThroughputBytes, ct));
            directPings.Add(await PingAsync(echo.EndPoint, PingCount, ct));
            proxiedPings.Add(await PingAsync(echoProxy, PingCount, ct));
        }

        var direct = Median(directRates);
        var proxied = Median(proxiedRates);
        var directPing = (P50: Median(directPings.Select(p => p.P50)), P99: Median(directPings.Select(p => p.P99)));
        var proxiedPing = (P50: Median(proxiedPings.Select(p => p.P50)), P99: Median(proxiedPings.Select(p => p.P99)));
        output.WriteLine($"{Rounds} alternating rounds of {ThroughputBytes >> 20} MB and {PingCount} 64-byte round trips each; medians:");
        output.WriteLine($"throughput  direct {direct,8:F0} MB/s   proxy {proxied,8:F0} MB/s   ({proxied / direct:P0} of direct)");
        output.WriteLine($"round trip  direct p50 {directPing.P50,6:F0} µs p99 {directPing.P99,6:F0} µs   proxy p50 {proxiedPing.P50,6:F0} µs p99 {proxiedPing.P99,6:F0} µs");
        output.WriteLine($"added       p50 {proxiedPing.P50 - directPing.P50,6:F0} µs   p99 {proxiedPing.P99 - directPing.P99,6:F0} µs");
        return 0;
    }

    private static async Task<IPEndPoint> CreateProxyAsync(HttpClient http, string name, IPEndPoint upstream, CancellationToken ct)
    {
        var response = await http.PostAsJsonAsync("proxies", new { name, listen = "127.0.0.1:0", upstream = upstream.ToString() }, ct);
        response.EnsureSuccessStatusCode();
        var proxy = await response.Content.ReadFromJsonAsync<ProxyReply>(ct);
        return IPEndPoint.Parse(proxy!.listen);
    }

    private sealed record ProxyReply(string listen);

    /// <summary>MB/s for sending <paramref name="total"/> bytes and getting the sink's one-byte receipt.</summary>
    private static async Task<double> ThroughputAsync(IPEndPoint target, long total, CancellationToken ct)
    {
        using var socket = await ConnectAsync(target, ct);
        var buffer = new byte[256 * 1024];
        Random.Shared.NextBytes(buffer);
        var started = Stopwatch.GetTimestamp();
        for (long sent = 0; sent < total;)
        {
            var n = (int)Math.Min(buffer.Length, total - sent);
            sent += await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, ct);
        }

        socket.Shutdown(SocketShutdown.Send);
        await socket.ReceiveAsync(buffer.AsMemory(0, 1), SocketFlags.None, ct);
        return total / (1024.0 * 1024.0) / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static async Task<(double P50, double P99)> PingAsync(IPEndPoint target, int count, CancellationToken ct)
    {
        using var socket = await ConnectAsync(target, ct);
        var message = new byte[64];
        var reply = new byte[64];
        var samples = new double[count];
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await socket.SendAsync(message, SocketFlags.None, ct);
            for (var got = 0; got < reply.Length;)
            {
                var n = await socket.ReceiveAsync(reply.AsMemory(got), SocketFlags.None, ct);
                got += n > 0 ? n : throw new IOException("echo closed early");
            }

            samples[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }

        Array.Sort(samples);
        return (samples[count / 2], samples[(int)(count * 0.99)]);
    }

    private static async Task<Socket> ConnectAsync(IPEndPoint target, CancellationToken ct)
    {
        var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(target, ct);
        return socket;
    }

    private static async Task SinkAsync(Socket socket)
    {
        var buffer = new byte[256 * 1024];
        while (await socket.ReceiveAsync(buffer, SocketFlags.None) > 0)
        {
        }

        await socket.SendAsync(new byte[] { 1 }, SocketFlags.None);
    }

    private static async Task EchoAsync(Socket socket)
    {
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
        {
            await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
        }
    }

    /// <summary>A loopback server running <c>serve</c> for each connection.</summary>
    private sealed class Listener : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        public Listener(Func<Socket, Task> serve)
        {
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _socket.Listen(16);
            EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
            _ = Task.Run(async () =>
            {
                while (true)
                {
                    Socket client;
                    try
                    {
                        client = await _socket.AcceptAsync();
                    }
                    catch (Exception)
                    {
                        return;
                    }

                    client.NoDelay = true;
                    _ = Task.Run(async () =>
                    {
                        using (client)
                        {
                            try
                            {
                                await serve(client);
                            }
                            catch (SocketException)
                            {
                            }
                        }
                    });
                }
            });
        }

        public IPEndPoint EndPoint { get; }

        public void Dispose() => _socket.Dispose();
    }
}
