using System.Net.Sockets;
using Chaos.Harness.Proxy;
using Toxiproxy;

namespace Chaos.Tests.Proxy.Support;

/// <summary>
/// One test's world: its own embedded proxy server, a client for it, an upstream server, and a
/// deadline every wait in the test is bound by. Disposing stops all of it.
/// With <see cref="ExternalVariable"/> set to a Toxiproxy API address (a real Toxiproxy 2.12, by
/// hand), the tests run against that server instead, to check that a test describes the real
/// behaviour: its proxies are deleted when the test ends.
/// </summary>
public sealed class ProxyEnvironment : IAsyncDisposable
{
    private readonly CancellationTokenSource _deadline;
    private readonly List<Socket> _sockets = [];

    public const string ExternalVariable = "CHAOS_PROXY_TESTS_AGAINST";

    private readonly ToxiproxyServer? _server;

    private ProxyEnvironment(ToxiproxyServer? server, Uri apiAddress, TestServer upstream, CancellationTokenSource deadline)
    {
        _server = server;
        ApiAddress = apiAddress;
        Upstream = upstream;
        _deadline = deadline;
        Client = new ToxiproxyClient(apiAddress);
        Http = new HttpClient { BaseAddress = apiAddress, Timeout = TimeSpan.FromSeconds(20) };
    }

    public Uri ApiAddress { get; }

    /// <summary>True when the tests run against a real Toxiproxy (see <see cref="ExternalVariable"/>).</summary>
    public bool External => _server is null;

    public TestServer Upstream { get; }

    public ToxiproxyClient Client { get; }

    /// <summary>For raw API calls, bypassing the typed client.</summary>
    public HttpClient Http { get; }

    public CancellationToken Token => _deadline.Token;

    public static async Task<ProxyEnvironment> StartAsync(TestServer? upstream = null, TimeSpan? deadline = null)
    {
        var cts = new CancellationTokenSource(deadline ?? TimeSpan.FromSeconds(30));
        if (Environment.GetEnvironmentVariable(ExternalVariable) is { Length: > 0 } external)
        {
            return new ProxyEnvironment(null, new Uri(external), upstream ?? TestServer.Echo(), cts);
        }

        var server = await ToxiproxyServer.StartAsync(new ToxiproxyServerOptions { Port = 0 }, cts.Token);
        return new ProxyEnvironment(server, server.ApiAddress, upstream ?? TestServer.Echo(), cts);
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

        if (_server is null)
        {
            using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            foreach (var name in (await Client.GetProxiesAsync(cleanup.Token)).Keys)
            {
                await Client.DeleteProxyAsync(name, cleanup.Token);
            }
        }

        Client.Dispose();
        Http.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        await Upstream.DisposeAsync();
        _deadline.Dispose();
    }
}
