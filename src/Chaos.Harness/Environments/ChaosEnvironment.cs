using Chaos.Harness.Network;
using Chaos.Harness.Network.Kernel;
using Chaos.Harness.Poolers;
using Chaos.Harness.Proxy;
using Chaos.Harness.Servers;
using Npgsql;

namespace Chaos.Harness.Environments;

/// <summary>
/// One environment, wired: a server (or a primary with a streaming standby behind a writer endpoint),
/// optionally PgBouncer in front of it, and the fault proxy in front of whichever the application talks to.
/// <code>
///   app ──► network path (fault proxy, leased port) ──► [PgBouncer] ──► [writer endpoint] ──► server ◄── harness
///   app ══ veth ══► database host (namespace): [PgBouncer] ──► server                          (kernel network path)
/// </code>
/// It says where the application connects (<see cref="AppConnectionString"/>, or
/// <see cref="MultiHostConnectionString"/> for applications that find the primary themselves), what the
/// harness administers (<see cref="Server"/>: the primary now) and where the final read goes
/// (<see cref="ReadTarget"/>), and owns every part: disposing it stops them all, newest first.
/// </summary>
internal sealed class ChaosEnvironment : IAsyncDisposable
{
    private readonly IPostgresServer _server;

    private ChaosEnvironment(IPostgresServer server, ReplicatedPair? replication, PgBouncer? pooler, ProxyPath path, Capability capabilities, DatabaseHost? networkHost)
    {
        _server = server;
        NetworkHost = networkHost;
        Replication = replication;
        Pooler = pooler;
        Path = path;
        Capabilities = capabilities;
    }

    /// <summary>The server the harness administers (terminate, stop, freeze ...): the primary, after a failover the new one.</summary>
    public IPostgresServer Server => Replication?.Primary ?? _server;

    /// <summary>The primary and its standby, when the environment has one.</summary>
    public ReplicatedPair? Replication { get; }

    /// <summary>PgBouncer, when the application goes through one.</summary>
    public PgBouncer? Pooler { get; }

    /// <summary>The network path in front of the application's endpoint.</summary>
    public ProxyPath Path { get; }

    public Capability Capabilities { get; }

    /// <summary>The database host the servers run inside, when the environment has the kernel network path.</summary>
    public DatabaseHost? NetworkHost { get; }

    /// <summary>Where the final read goes: the server whose data the application's acknowledged writes must be in.</summary>
    public IPostgresServer ReadTarget => Server;

    /// <summary>
    /// Host, port, database and credentials the application uses, through the network path; pool settings are the caller's.
    /// On the kernel path the application connects to the database host's address itself, across the link.
    /// </summary>
    public string AppConnectionString => NetworkHost is not null
        ? Pooler?.AppConnectionString ?? _server.AppConnectionString
        : new NpgsqlConnectionStringBuilder(Pooler?.AppConnectionString ?? _server.AppConnectionString)
        {
            Host = Path.Host,
            Port = Path.Port,
        }.ConnectionString;

    /// <summary>Both servers of a replicated environment, as a multi-host connection string (Host=a:p,b:q); null with one server.</summary>
    public string? MultiHostConnectionString => Replication is { } pair
        ? new NpgsqlConnectionStringBuilder(_server.AppConnectionString)
        {
            Host = string.Join(",", pair.Servers.Select(s => $"{s.Host}:{s.Port}")),
        }.ConnectionString
        : null;

    /// <summary>Starts the parts <paramref name="spec"/> asks for; <paramref name="name"/> names the proxy (made unique here).</summary>
    public static Task<ChaosEnvironment> StartAsync(EnvironmentSpec spec, ServerBackend servers, ToxiproxyClient proxy, string name, CancellationToken ct) =>
        StartAsync(spec, servers, proxy, name, Environment.GetEnvironmentVariable, ct);

    /// <summary>As above, with PgBouncer's executable and server user looked up in <paramref name="env"/> (the testing API reads no environment).</summary>
    internal static async Task<ChaosEnvironment> StartAsync(EnvironmentSpec spec, ServerBackend servers, ToxiproxyClient proxy, string name, Func<string, string?> env, CancellationToken ct)
    {
        var parts = new Stack<IAsyncDisposable>();
        try
        {
            ReplicatedPair? replication = null;
            DatabaseHost? host = null;
            IPostgresServer server;
            (string Host, int Port) upstream;
            if (spec.KernelNetwork)
            {
                if (spec.Standby is not null) throw new NotSupportedException("the kernel network path runs one server; a standby is not wired into it");
                // The host carries the run's id, so a killed run's host is reaped by the next run like its servers.
                host = await DatabaseHost.CreateAsync(System.IO.Path.GetFileName((await Servers.Internal.RunRegistry.GetAsync(ct)).RunDir), ct);
                parts.Push(host);
            }
            if (host is not null)
            {
                server = await ManagedServer.StartInsideAsync(host, spec.Server, ct);
                parts.Push(server);
                upstream = (server.Host, server.Port);
            }
            else if (spec.Standby is { } standbySpec)
            {
                var primary = await servers.StartAsync(spec.Server with { Settings = With(spec.Server, Servers.Replication.PrimarySettings(standbySpec.Synchronous)) }, ct) as ManagedServer
                    ?? throw new NotSupportedException($"a standby needs managed servers, not the {servers.Name} backend");
                parts.Push(primary);
                // The standby runs without synchronous_standby_names: promoted while the old primary is down, it must not wait for it.
                var standby = await ManagedServer.StartStandbyAsync(primary, spec.Server with { Settings = With(spec.Server, Servers.Replication.PrimarySettings(synchronous: false)) }, ct);
                parts.Push(standby);
                var endpoint = ServiceEndpoint.Start(primary.Host, primary.Port);
                parts.Push(endpoint);
                replication = new ReplicatedPair(primary, standby, endpoint, standbySpec.Synchronous);
                server = primary;
                upstream = (endpoint.Host, endpoint.Port);
            }
            else
            {
                server = await servers.StartAsync(spec.Server, ct);
                parts.Push(server);
                upstream = (server.Host, server.Port);
            }
            PgBouncer? pooler = null;
            if (spec.Pooler is { } options)
            {
                pooler = host is not null
                    ? await PgBouncer.StartInsideAsync(host, server, options, ct)
                    : await PgBouncer.StartAsync(server, replication is null ? options : options with { UpstreamHost = upstream.Host, UpstreamPort = upstream.Port }, env, ct);
                parts.Push(pooler);
                upstream = (host?.Address.ToString() ?? "127.0.0.1", pooler.Port);
            }
            // Unique even when the same cell runs twice at once against one proxy server.
            var path = await ProxyPath.CreateAsync(proxy, $"{name}-{Guid.NewGuid().ToString("N")[..8]}", $"{upstream.Host}:{upstream.Port}", ct);
            return new ChaosEnvironment(server, replication, pooler, path, spec.Capabilities(servers), host);
        }
        catch
        {
            while (parts.TryPop(out var part))
            {
                await part.DisposeAsync();
            }
            throw;
        }
    }

    private bool _disposed;

    /// <summary>
    /// Closes the application's way in, which ends whatever requests still hang on it: the fault proxy is
    /// deleted; on the kernel path the link is healed and the application's sockets to the database host are
    /// destroyed (<c>ss -K</c>, SOCK_DESTROY), so a request waiting out TCP's retransmission backoff, or on a
    /// flow the middlebox forgot, ends now instead of minutes later. The servers keep running for the final read.
    /// </summary>
    public async Task ClosePathAsync(CancellationToken ct)
    {
        await Path.DisposeAsync();
        if (NetworkHost is { } host)
        {
            await host.ClearAsync(ct);
            await host.DestroyApplicationSocketsAsync(ct);
        }
    }

    /// <summary>Stops every part, newest first; a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        await Path.DisposeAsync();
        if (Pooler is not null)
        {
            await Pooler.DisposeAsync();
        }
        if (Replication is { } pair)
        {
            await pair.Endpoint.DisposeAsync();
            foreach (var server in pair.Servers.Reverse())
            {
                await server.DisposeAsync();
            }
        }
        else
        {
            await _server.DisposeAsync();
        }
        if (NetworkHost is not null)
        {
            await NetworkHost.DisposeAsync();
        }
    }

    private static Dictionary<string, string> With(PostgresOptions options, IReadOnlyDictionary<string, string> extra)
    {
        var settings = new Dictionary<string, string>(extra);
        foreach (var (key, value) in options.Settings)
        {
            settings[key] = value;
        }
        return settings;
    }
}
