using Toxiproxy;

namespace Chaos.Harness.Proxy;

/// <summary>
/// The fault proxy a run uses: the Toxiproxy at <c>TOXIPROXY_URL</c> when set, otherwise an
/// embedded <see cref="ToxiproxyServer"/> on 127.0.0.1 with a free port, stopped on dispose.
/// </summary>
internal sealed class ProxyHost : IAsyncDisposable
{
    public const string UrlVariable = "TOXIPROXY_URL";

    private static readonly TimeSpan ReachTimeout = TimeSpan.FromSeconds(5);

    private readonly ToxiproxyServer? _server;

    private ProxyHost(ToxiproxyClient client, ToxiproxyServer? server)
    {
        Client = client;
        _server = server;
    }

    public ToxiproxyClient Client { get; }

    /// <summary>True when the proxy runs in this process (no <c>TOXIPROXY_URL</c>).</summary>
    public bool IsEmbedded => _server is not null;

    public static Task<ProxyHost> StartAsync(CancellationToken ct = default) =>
        StartAsync(Environment.GetEnvironmentVariable(UrlVariable), ct);

    /// <summary>The Toxiproxy at <paramref name="url"/>, or an embedded one when it is null or blank: no environment is read.</summary>
    internal static async Task<ProxyHost> StartAsync(string? url, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            var server = await ToxiproxyServer.StartAsync(new ToxiproxyServerOptions { Host = "127.0.0.1", Port = 0 }, ct).ConfigureAwait(false);
            return new ProxyHost(new ToxiproxyClient(server.ApiAddress), server);
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var address))
        {
            throw new Servers.ServerSetupException($"{UrlVariable}={url} is not an absolute URL such as http://127.0.0.1:8474.");
        }

        var client = new ToxiproxyClient(address);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ReachTimeout);
            await client.GetVersionAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            client.Dispose();
            throw new Servers.ServerSetupException(
                $"No Toxiproxy answered GET /version at {UrlVariable}={url} within {ReachTimeout.TotalSeconds:0} s ({e.Message}). " +
                $"Start it there, or unset {UrlVariable} to use the embedded proxy.", e);
        }

        return new ProxyHost(client, null);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
    }
}
