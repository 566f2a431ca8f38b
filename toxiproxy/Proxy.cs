using System.Collections.Concurrent;
using System.Net.Sockets;
using Toxiproxy.Api;

namespace Toxiproxy;

/// <summary>
/// One named proxy: a listener on <see cref="Listen"/> that joins every accepted client to a new
/// connection to <see cref="Upstream"/>, through the proxy's toxics.
/// </summary>
internal sealed class Proxy
{
    private static readonly TimeSpan UpstreamConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _state = new(1, 1);
    private readonly ConcurrentDictionary<ProxyConnection, byte> _connections = new();
    private Socket? _listener;
    private CancellationTokenSource? _stopping;
    private Task _accepting = Task.CompletedTask;

    public Proxy(string name, string listen, string upstream)
    {
        Name = name;

        // Toxiproxy's empty listen is every interface; ours stays on loopback (this proxy is a
        // test tool and must not be reachable from elsewhere by accident).
        Listen = listen.Length == 0 ? "127.0.0.1:0" : listen;
        Upstream = upstream;
        HostPort.Parse(Listen);
    }

    public string Name { get; }

    /// <summary>The listen address; once started, with the real port (never 0).</summary>
    public string Listen { get; private set; }

    public string Upstream { get; private set; }

    public bool Enabled { get; private set; }

    public ToxicCollection Toxics { get; } = new();

    public int ConnectionCount => _connections.Count;

    public async Task StartAsync(CancellationToken ct)
    {
        await _state.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await StartLockedAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _state.Release();
        }
    }

    public async Task StopAsync()
    {
        await _state.WaitAsync().ConfigureAwait(false);
        try
        {
            await StopLockedAsync().ConfigureAwait(false);
        }
        finally
        {
            _state.Release();
        }
    }

    /// <summary>
    /// Applies an update the way Toxiproxy 2.12's Proxy.Update does: a listen address that
    /// resolves to the one in use, with the same upstream, changes nothing (open connections stay);
    /// a different one restarts the proxy, dropping its connections. Unlike Toxiproxy, a new
    /// address that cannot be resolved or bound leaves the proxy as it was (Toxiproxy answers 500
    /// and, for a bind failure, leaves it stopped on the new address).
    /// </summary>
    public async Task UpdateAsync(string? listen, string? upstream, bool? enabled, CancellationToken ct)
    {
        await _state.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var newListen = listen ?? Listen;
            var newUpstream = upstream ?? Upstream;
            var differs = await DiffersLockedAsync(newListen, newUpstream, ct).ConfigureAwait(false);
            var wantEnabled = enabled ?? Enabled;
            if (differs && wantEnabled)
            {
                var listener = await BindReplacingAsync(newListen, ct).ConfigureAwait(false);
                Upstream = newUpstream;
                Begin(listener);
            }
            else if (differs)
            {
                await StopLockedAsync().ConfigureAwait(false);
                Listen = newListen;
                Upstream = newUpstream;
            }
            else if (wantEnabled)
            {
                await StartLockedAsync(ct).ConfigureAwait(false);
            }
            else
            {
                await StopLockedAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _state.Release();
        }
    }

    /// <summary>Proxy.Differs: the listen address compared resolved, the upstream as written.</summary>
    public async Task<bool> DiffersAsync(string listen, string upstream, CancellationToken ct)
    {
        await _state.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await DiffersLockedAsync(listen, upstream, ct).ConfigureAwait(false);
        }
        finally
        {
            _state.Release();
        }
    }

    private async Task<bool> DiffersLockedAsync(string listen, string upstream, CancellationToken ct) =>
        await HostPort.CanonicalAsync(listen, ct).ConfigureAwait(false) != Listen || upstream != Upstream;

    /// <summary>
    /// A listener on <paramref name="listen"/>, with this proxy stopped. Binds the new address
    /// before letting go of the old one where it can, so a failure leaves the proxy running as
    /// it was; only when the new address is the old one's port does it stop first, and then a
    /// failure starts the old address again.
    /// </summary>
    private async Task<Socket> BindReplacingAsync(string listen, CancellationToken ct)
    {
        try
        {
            var listener = await BindAsync(listen, ct).ConfigureAwait(false);
            await StopLockedAsync().ConfigureAwait(false);
            return listener;
        }
        catch (ApiException) when (Enabled && HostPort.Parse(listen).Port == HostPort.Parse(Listen).Port)
        {
            var wasListening = Listen;
            await StopLockedAsync().ConfigureAwait(false);
            try
            {
                return await BindAsync(listen, ct).ConfigureAwait(false);
            }
            catch (ApiException)
            {
                try
                {
                    Begin(await BindAsync(wasListening, ct).ConfigureAwait(false));
                }
                catch (ApiException)
                {
                    // Someone took the old address in between: the proxy stays stopped there, as a
                    // disabled proxy; enabling or /reset tries again.
                }

                throw;
            }
        }
    }

    private async Task StartLockedAsync(CancellationToken ct)
    {
        if (Enabled)
        {
            return;
        }

        Begin(await BindAsync(Listen, ct).ConfigureAwait(false));
    }

    private static async Task<Socket> BindAsync(string listen, CancellationToken ct)
    {
        var endpoint = await HostPort.Parse(listen).ResolveAsync(ct).ConfigureAwait(false);
        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(endpoint);
            listener.Listen(512);
            return listener;
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw ApiError.ListenFailed.At(listen, $"bind: {e.Message}");
        }
    }

    private void Begin(Socket listener)
    {
        Listen = HostPort.Format((System.Net.IPEndPoint)listener.LocalEndPoint!);
        _listener = listener;
        _stopping = new CancellationTokenSource();
        var stopping = _stopping.Token;
        _accepting = Task.Run(() => AcceptLoopAsync(listener, stopping), CancellationToken.None);
        Enabled = true;
    }

    private async Task StopLockedAsync()
    {
        if (!Enabled)
        {
            return;
        }

        Enabled = false;
        _stopping!.Cancel();
        _listener!.Dispose();
        await _accepting.ConfigureAwait(false);
        foreach (var connection in _connections.Keys)
        {
            connection.Close();
        }

        _stopping.Dispose();
        _listener = null;
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (stopping.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            _ = Task.Run(() => JoinAsync(client, stopping), CancellationToken.None);
        }
    }

    private async Task JoinAsync(Socket client, CancellationToken stopping)
    {
        client.NoDelay = true;
        var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            timeout.CancelAfter(UpstreamConnectTimeout);
            // Any upstream text is accepted, as in Toxiproxy; one that is no address fails here.
            var target = HostPort.TryParseUpstream(Upstream) ?? throw new SocketException((int)SocketError.AddressNotAvailable);
            var addresses = System.Net.IPAddress.TryParse(target.Host, out var literal)
                ? [literal]
                : await System.Net.Dns.GetHostAddressesAsync(target.Host, timeout.Token).ConfigureAwait(false);
            if (Link.DedicatedThreadsAvailable)
            {
                // A socket that has seen one async call stays in non-blocking mode inside .NET,
                // and its blocking calls then go through the event loop too: connect without one,
                // on a thread of its own, so the links' blocking reads are real blocking reads.
                await Task.Factory.StartNew(
                    () => ConnectBlocking(upstream, addresses, target.Port),
                    CancellationToken.None,
                    TaskCreationOptions.LongRunning,
                    TaskScheduler.Default).ConfigureAwait(false);
            }
            else
            {
                await upstream.ConnectAsync(addresses, target.Port, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception)
        {
            // Upstream refused or unreachable: the client must not wait on a dead end.
            upstream.Dispose();
            client.Dispose();
            return;
        }

        var connection = new ProxyConnection(client, upstream, Toxics.Lock, OnClosed);
        _connections[connection] = 0;
        if (stopping.IsCancellationRequested)
        {
            // Stop took its snapshot of connections before this one was registered.
            connection.Close();
            return;
        }

        try
        {
            await Toxics.AttachAsync(connection, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            connection.Close();
        }
    }

    /// <summary>A blocking connect bounded like the async one: Linux applies SO_SNDTIMEO to connect(2).</summary>
    private static void ConnectBlocking(Socket upstream, System.Net.IPAddress[] addresses, int port)
    {
        upstream.SendTimeout = (int)UpstreamConnectTimeout.TotalMilliseconds;
        upstream.Connect(addresses, port);
        upstream.SendTimeout = 0;
    }

    private void OnClosed(ProxyConnection connection)
    {
        _connections.TryRemove(connection, out _);
        Toxics.Detach(connection);
    }
}
