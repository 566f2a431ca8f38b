using Chaos.Harness.Proxy;
using Chaos.Harness.Servers.Internal;

namespace Chaos.Harness.Network;

/// <summary>
/// The fault proxy as a network path: one Toxiproxy proxy in front of one upstream, for one
/// environment alone, listening on a loopback port leased for the environment's whole life. A proxy
/// disabled and enabled again (scale-to-zero) listens on that same port, which no other part of this
/// process can take meanwhile.
/// </summary>
internal sealed class ProxyPath : IAsyncDisposable
{
    private bool _disposed;

    private ProxyPath(ToxiproxyClient client, string name, int port)
    {
        Client = client;
        Name = name;
        Port = port;
    }

    public ToxiproxyClient Client { get; }

    /// <summary>The proxy's name on the Toxiproxy server.</summary>
    public string Name { get; }

    /// <summary>Where the application connects: 127.0.0.1:<see cref="Port"/>.</summary>
    public string Host => "127.0.0.1";

    public int Port { get; }

    public static Capability Capabilities => Capability.Toxics | Capability.EndpointToggle;

    /// <summary>Creates the proxy <paramref name="name"/> from a leased loopback port to <paramref name="upstream"/> ("host:port").</summary>
    public static async Task<ProxyPath> CreateAsync(ToxiproxyClient client, string name, string upstream, CancellationToken ct)
    {
        const int attempts = 5;
        for (var attempt = 1; ; attempt++)
        {
            var port = LoopbackPorts.Reserve();
            try
            {
                var created = await client.CreateProxyAsync(new ProxyConfig(name, $"127.0.0.1:{port}", upstream), ct);
                return new ProxyPath(client, name, created.ListenPort);
            }
            catch (ToxiproxyException e) when (attempt < attempts && e.Status != 404)
            {
                // Another process took the leased port before the proxy bound it (409 from Toxiproxy 2.12,
                // 500 from older ones; the name is unique, so it is not a name clash): lease another.
                LoopbackPorts.Release(port);
            }
            catch
            {
                LoopbackPorts.Release(port);
                throw;
            }
        }
    }

    public async Task AddToxicAsync(ToxicSpec toxic, CancellationToken ct) => await Client.AddToxicAsync(Name, toxic, ct);

    public Task SetEnabledAsync(bool enabled, CancellationToken ct) => Client.SetEnabledAsync(Name, enabled, ct);

    /// <summary>Removes every toxic (the proxy is this environment's alone) and makes sure it is enabled.</summary>
    public async Task ClearAsync(CancellationToken ct)
    {
        foreach (var toxic in await Client.GetToxicsAsync(Name, ct))
        {
            await Client.RemoveToxicAsync(Name, toxic.Name, ct);
        }
        await Client.SetEnabledAsync(Name, true, ct);
    }

    /// <summary>Deletes the proxy, which closes every connection through it (a hung request's included).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await Client.DeleteProxyAsync(Name, bound.Token);
        }
        catch (Exception e) when (e is ToxiproxyException or HttpRequestException or OperationCanceledException)
        {
            // Already gone, or the proxy server is: nothing left to close.
        }
        finally
        {
            LoopbackPorts.Release(Port);
        }
    }
}
