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
        Listen = listen.Length == 0 ? "127.0.0.1:0" : listen;
        Upstream = upstream;
        HostPort.Parse(Listen, "listen", allowPortZero: true);
        HostPort.Parse(Upstream, "upstream", allowPortZero: false);
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

    /// <summary>Applies an update the way Toxiproxy does: a new address restarts the proxy.</summary>
    public async Task UpdateAsync(string? listen, string? upstream, bool? enabled, CancellationToken ct)
    {
        if (listen is not null)
        {
            HostPort.Parse(listen, "listen", allowPortZero: true);
        }

        if (upstream is not null)
        {
            HostPort.Parse(upstream, "upstream", allowPortZero: false);
        }

        await _state.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var wasEnabled = Enabled;
            if ((listen is not null && listen != Listen) || (upstream is not null && upstream != Upstream))
            {
                await StopLockedAsync().ConfigureAwait(false);
                Listen = listen ?? Listen;
                Upstream = upstream ?? Upstream;
                if (enabled ?? wasEnabled)
                {
                    await StartLockedAsync(ct).ConfigureAwait(false);
                }
            }
            else if (enabled == true)
            {
                await StartLockedAsync(ct).ConfigureAwait(false);
            }
            else if (enabled == false)
            {
                await StopLockedAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _state.Release();
        }
    }

    private async Task StartLockedAsync(CancellationToken ct)
    {
        if (Enabled)
        {
            return;
        }

        var endpoint = await HostPort.Parse(Listen, "listen", allowPortZero: true).ResolveAsync(ct).ConfigureAwait(false);
        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(endpoint);
            listener.Listen(512);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw ApiError.ListenFailed.With($"listen tcp {Listen}: {e.Message}");
        }

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
            connection.Close(abortive: false);
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
            var target = HostPort.Parse(Upstream, "upstream", allowPortZero: false);
            await upstream.ConnectAsync(target.Host, target.Port, timeout.Token).ConfigureAwait(false);
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
            connection.Close(abortive: false);
            return;
        }

        try
        {
            await Toxics.AttachAsync(connection, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            connection.Close(abortive: false);
        }
    }

    private void OnClosed(ProxyConnection connection)
    {
        _connections.TryRemove(connection, out _);
        Toxics.Detach(connection);
    }
}
