using System.Net;
using System.Net.Sockets;
using Chaos.Harness.Network.Kernel;
using Chaos.Harness.Servers.Internal;
using NUnit.Framework;

namespace Chaos.Tests.Network;

/// <summary>
/// Base for tests of the kernel network path: real namespaces, veth links and nft rules, real sockets
/// across them. A machine that cannot build the path (not root, no nft...) skips these tests with the
/// probe's reason, which names the fix. Hosts, servers and sockets made through it are disposed after
/// every test, failed or not.
/// </summary>
public abstract class KernelNetworkTest
{
    private readonly List<IAsyncDisposable> _owned = [];
    private CancellationTokenSource? _timeout;

    /// <summary>Bounds every test; a hung socket fails the test instead of the run.</summary>
    protected CancellationToken Timeout { get; private set; }

    /// <summary>This test process's run (its directory under /dev/shm/chaos-runs), which owns the hosts.</summary>
    protected static async Task<string> RunIdAsync(CancellationToken ct) => Path.GetFileName((await RunRegistry.GetAsync(ct)).RunDir);

    [SetUp]
    public async Task RequireKernelNetwork()
    {
        _timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Timeout = _timeout.Token;
        var support = await KernelNetwork.ProbeAsync(Timeout);
        if (!support.Available) Assert.Ignore($"kernel network path unavailable: {support.Reason}");
    }

    [TearDown]
    public async Task DisposeOwned()
    {
        // Newest first: servers and sockets before the host they live in.
        for (var i = _owned.Count - 1; i >= 0; i--) await _owned[i].DisposeAsync();
        _owned.Clear();
        _timeout?.Dispose();
    }

    protected T Own<T>(T disposable) where T : IAsyncDisposable
    {
        lock (_owned) _owned.Add(disposable);
        return disposable;
    }

    private protected async Task<DatabaseHost> CreateHostAsync() => Own(await DatabaseHost.CreateAsync(await RunIdAsync(Timeout), Timeout));

    private protected async Task<EchoServer> StartEchoServerAsync(DatabaseHost host) => Own(await EchoServer.StartAsync(host, Timeout));

    /// <summary>A client socket in the harness's namespace, connected to the host; <paramref name="configure"/> runs before connect.</summary>
    protected async Task<Socket> ConnectAsync(IPEndPoint server, Action<Socket>? configure = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Own(new SocketOwner(socket));
        configure?.Invoke(socket);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(Timeout);
        bound.CancelAfter(TimeSpan.FromSeconds(5));
        await socket.ConnectAsync(server, bound.Token);
        return socket;
    }

    private sealed class SocketOwner(Socket socket) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
