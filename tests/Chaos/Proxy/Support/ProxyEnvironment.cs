using System.Net.Sockets;
using Chaos.Harness.Proxy;
using Toxiproxy;

namespace Chaos.Tests.Proxy.Support;

/// <summary>
/// One test's world: its own embedded proxy server, a client for it, an upstream server, and a
/// deadline every wait in the test is bound by. Disposing stops all of it.
/// </summary>
public sealed class ProxyEnvironment : IAsyncDisposable
{
    private readonly CancellationTokenSource _deadline;
    private readonly List<Socket> _sockets = [];

    private ProxyEnvironment(ToxiproxyServer server, TestServer upstream, CancellationTokenSource deadline)
    {
        Server = server;
        Upstream = upstream;
        _deadline = deadline;
        Client = new ToxiproxyClient(server.ApiAddress);
        Http = new HttpClient { BaseAddress = server.ApiAddress, Timeout = TimeSpan.FromSeconds(20) };
    }

    public ToxiproxyServer Server { get; }

    public TestServer Upstream { get; }

    public ToxiproxyClient Client { get; }

    /// <summary>For raw API calls, bypassing the typed client.</summary>
    public HttpClient Http { get; }

    public CancellationToken Token => _deadline.Token;

    public static async Task<ProxyEnvironment> StartAsync(TestServer? upstream = null, TimeSpan? deadline = null)
    {
        var cts = new CancellationTokenSource(deadline ?? TimeSpan.FromSeconds(30));
        var server = await ToxiproxyServer.StartAsync(new ToxiproxyServerOptions { Port = 0 }, cts.Token);
        return new ProxyEnvironment(server, upstream ?? TestServer.Echo(), cts);
    }

    /// <summary>A proxy named after the calling test, to the upstream server, on a free port.</summary>
    public Task<ProxyInfo> CreateProxyAsync(string name = "proxy") =>
        Client.CreateProxyAsync(new ProxyConfig(name, "127.0.0.1:0", Upstream.Address), Token);

    /// <summary>A client connection through <paramref name="proxy"/>, closed with the environment.</summary>
    public async Task<Socket> ConnectAsync(ProxyInfo proxy)
    {
        var socket = await SocketExtensions.ConnectAsync(proxy.ListenPort, Token);
        lock (_sockets)
        {
            _sockets.Add(socket);
        }

        return socket;
    }

    /// <summary>Polls <paramref name="condition"/> until true; fails with <paramref name="what"/> at the deadline.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? within = null)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Token);
        limit.CancelAfter(within ?? TimeSpan.FromSeconds(10));
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (!await condition())
        {
            try
            {
                await timer.WaitForNextTickAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_sockets)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }
        }

        Client.Dispose();
        Http.Dispose();
        await Server.DisposeAsync();
        await Upstream.DisposeAsync();
        _deadline.Dispose();
    }
}
