using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Toxiproxy.Api;

namespace Toxiproxy;

/// <summary>
/// A Toxiproxy-2.x-compatible fault proxy with its HTTP API, running in this process.
/// Disposing it closes the API, every proxy listener and every proxied connection.
/// </summary>
public sealed class ToxiproxyServer : IAsyncDisposable
{
    /// <summary>
    /// What <c>GET /version</c> answers: the Toxiproxy release whose behaviour this server keeps
    /// (a suffix would sort below it as a semantic version, and clients compare versions). The
    /// <c>connections</c> field of a proxy tells this server from the real one.
    /// </summary>
    public const string Version = "2.12.0";

    private readonly WebApplication _app;
    private readonly ProxyCollection _proxies;

    private ToxiproxyServer(WebApplication app, ProxyCollection proxies, Uri apiAddress)
    {
        _app = app;
        _proxies = proxies;
        ApiAddress = apiAddress;
    }

    /// <summary>The API's base address, with the real port.</summary>
    public Uri ApiAddress { get; }

    /// <summary>Starts the API on <paramref name="options"/>' address (default 127.0.0.1:8474; port 0 picks a free one) with no proxies yet.</summary>
    /// <param name="options">Where the API listens.</param>
    /// <param name="ct">Cancels the start.</param>
    /// <returns>The running server; create proxies through its API (any Toxiproxy client) or <see cref="PopulateAsync"/>.</returns>
    public static async Task<ToxiproxyServer> StartAsync(ToxiproxyServerOptions? options = null, CancellationToken ct = default)
    {
        options ??= new ToxiproxyServerOptions();
        if (options.Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Port, "Port must be between 0 and 65535.");
        }

        var address = await ResolveAsync(options.Host, ct).ConfigureAwait(false);

        // An empty builder: no configuration files, no console logging, nothing but Kestrel.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(address, options.Port);

            // Bodies are bounded where they are read (413, RequestBody.MaxBodyBytes); Kestrel's larger
            // bound only caps what is read and thrown away so that the client gets to read that 413.
            // Names up to Names.MaxBytes must fit a request line even percent-encoded, twice (proxy
            // and toxic): 4096 * 3 * 2 < 32 KB.
            kestrel.Limits.MaxRequestBodySize = RequestBody.MaxDiscardedBytes;
            kestrel.Limits.MaxRequestLineSize = 32 * 1024;
            kestrel.Limits.MaxRequestHeadersTotalSize = 64 * 1024;
        });

        // The default console lifetime would take over the host process's Ctrl+C and SIGTERM;
        // an embedded server must leave signals to its host.
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        var app = builder.Build();
        var proxies = new ProxyCollection();
        var api = new ApiEndpoints(proxies);
        app.Run(api.HandleAsync);
        await app.StartAsync(ct).ConfigureAwait(false);

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(bound).Port;
        var host = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        if (address.Equals(IPAddress.Any))
        {
            host = "127.0.0.1";
        }

        return new ToxiproxyServer(app, proxies, new Uri($"http://{host}:{port}/"));
    }

    /// <summary>Creates or replaces proxies from the same JSON array <c>POST /populate</c> takes.</summary>
    public async Task PopulateAsync(Stream json, CancellationToken ct = default)
    {
        var body = await RequestBody.ReadAsync(json, ct).ConfigureAwait(false);
        await ApiEndpoints.PopulateAsync(_proxies, body, [], ct).ConfigureAwait(false);
    }

    /// <summary>Closes the API, every proxy listener and every proxied connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _proxies.DisposeAsync().ConfigureAwait(false);
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(grace.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task<IPAddress> ResolveAsync(string host, CancellationToken ct)
    {
        if (IPAddress.TryParse(host, out var address))
        {
            return address;
        }

        var addresses = await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.First();
    }

    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
