using Chaos.Harness.Environments;
using Chaos.Harness.History;
using Chaos.Harness.Proxy;
using Chaos.Harness.Scenarios;
using Chaos.Harness.Servers;
using Npgsql;

namespace Chaos.Harness.Testing;

/// <summary>
/// A PostgreSQL for one test (or one fixture) with the fault proxy in front of it, started by
/// <see cref="ChaosDatabaseBuilder.StartAsync"/>:
/// <code>
///   code under test ──► fault proxy (127.0.0.1, own port) ──► [PgBouncer] ──► PostgreSQL (child process)
///   InjectAsync(fault) acts on the proxy or the server; GetActivityAsync reads pg_stat_activity
/// </code>
/// Point the code under test at <see cref="ConnectionString"/>, make it meet a <see cref="Fault"/> with
/// <see cref="InjectAsync"/>, and read what happened in <see cref="Timeline"/> and <see cref="GetActivityAsync"/>.
/// Disposing it heals what is still injected and stops every process it started.
/// </summary>
public sealed class ChaosDatabase : IAsyncDisposable
{
    private readonly ProxyHost _proxy;
    private readonly ChaosEnvironment _environment;
    private readonly HistoryRecorder _history = new();
    private readonly List<InjectedFault> _injected = [];
    private int _disposed;

    private ChaosDatabase(ProxyHost proxy, ChaosEnvironment environment, string applicationName)
    {
        _proxy = proxy;
        _environment = environment;
        ApplicationName = applicationName;
    }

    internal static async Task<ChaosDatabase> StartAsync(EnvironmentSpec spec, Func<string, string?> env, string? toxiproxyUrl, string applicationName, CancellationToken ct)
    {
        var proxy = await ProxyHost.StartAsync(toxiproxyUrl, ct);
        try
        {
            var environment = await ChaosEnvironment.StartAsync(spec, ServerBackend.ManagedWith(env), proxy.Client, "chaos-db", env, ct);
            return new ChaosDatabase(proxy, environment, applicationName);
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }
    }

    /// <summary>The Application Name <see cref="ConnectionString"/> carries, and the one faults select backends by unless told another.</summary>
    public string ApplicationName { get; }

    /// <summary>
    /// What the code under test connects with: host and port of the fault proxy, database, user, password and
    /// <see cref="ApplicationName"/>. Pool settings are Npgsql's defaults; add your own (this is a normal Npgsql connection string).
    /// </summary>
    public string ConnectionString => ConnectionStringFor(ApplicationName);

    /// <summary><see cref="ConnectionString"/> with another Application Name, so two pools (or two tests) can be told apart and struck separately.</summary>
    /// <param name="applicationName">At most 63 bytes: PostgreSQL keeps no more.</param>
    public string ConnectionStringFor(string applicationName) =>
        new NpgsqlConnectionStringBuilder(_environment.AppConnectionString) { ApplicationName = applicationName }.ConnectionString;

    /// <summary>
    /// Straight to the server (no proxy, no PgBouncer, no pooling), as the application's role: for a test's own
    /// setup and its checks afterwards, which must not meet the fault they check.
    /// </summary>
    public string DirectConnectionString => new NpgsqlConnectionStringBuilder(_environment.Server.AppConnectionString)
    {
        ApplicationName = "chaos-check",
        Pooling = false,
    }.ConnectionString;

    /// <summary>True when PgBouncer sits between the proxy and the server.</summary>
    public bool HasPgBouncer => _environment.Pooler is not null;

    /// <summary>SHOW server_version of the running server, for example "16.4".</summary>
    public string ServerVersion => _environment.Server.Version;

    /// <summary>The fault proxy's API, for toxics of your own on <see cref="ProxyName"/>; <see cref="InjectAsync"/> covers the usual ones.</summary>
    public ToxiproxyClient Proxy => _environment.Path.Client;

    /// <summary>The name of this database's proxy on <see cref="Proxy"/>.</summary>
    public string ProxyName => _environment.Path.Name;

    /// <summary>Every fault, heal and note so far, oldest first; times are milliseconds since the database started.</summary>
    public IReadOnlyList<TimelineEvent> Timeline => _history.Take().Timeline;

    /// <summary>The faults injected so far, healed or not, oldest first.</summary>
    public IReadOnlyList<InjectedFault> Injected
    {
        get { lock (_injected) return [.. _injected]; }
    }

    /// <summary>The client backends of the database now, from pg_stat_activity (the harness's own sessions excluded).</summary>
    /// <param name="ct">Cancels the query.</param>
    public Task<ActivitySnapshot> GetActivityAsync(CancellationToken ct = default) => _environment.Server.GetActivityAsync(ct);

    /// <summary>
    /// Strikes with <paramref name="fault"/> and returns once it has struck (a restart: once the server is back;
    /// a mid-transaction reset: once the reset is armed). Await <see cref="InjectedFault.Healed"/> for its end, or
    /// heal it yourself with <see cref="InjectedFault.HealAsync"/>.
    /// </summary>
    /// <param name="fault">What to do, from the factories on <see cref="Fault"/>.</param>
    /// <param name="ct">Cancels the strike; every wait inside it is bounded as well.</param>
    /// <returns>The fault as it struck: what it did, and its heal.</returns>
    /// <exception cref="NotSupportedException">This database cannot take the fault (it needs a part it does not have); the message says which.</exception>
    public async Task<InjectedFault> InjectAsync(Fault fault, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(fault);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Capabilities.Missing(fault.Nemesis.Needs, _environment.Capabilities, "managed") is { } missing)
        {
            throw new NotSupportedException($"{fault.Name} cannot strike this database: it {missing}");
        }
        var target = new FaultTarget(_environment, fault.ApplicationName ?? ApplicationName, _history);
        var at = _history.NowMs;
        var injection = await fault.Nemesis.InjectAsync(target, ct);
        _history.OpenWindow($"{fault.Name}: {injection.Detail}", at);
        var injected = new InjectedFault(fault.Name, injection, TimeSpan.FromMilliseconds(at), _history);
        lock (_injected) _injected.Add(injected);
        return injected;
    }

    /// <summary>Heals every fault still in effect, newest first; a database with none does nothing.</summary>
    /// <param name="ct">Cancels the heals.</param>
    public async Task HealAllAsync(CancellationToken ct = default)
    {
        foreach (var fault in Enumerable.Reverse(Injected))
        {
            await fault.HealAsync(ct);
        }
    }

    /// <summary>Heals what is still injected, then stops the proxy, PgBouncer and the server; a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await HealAllAsync(bound.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or NpgsqlException or ToxiproxyException or HttpRequestException)
        {
            // Stopping everything below ends the fault's effects anyway; the heal only makes it orderly.
        }
        finally
        {
            await _environment.DisposeAsync();
            await _proxy.DisposeAsync();
        }
    }
}
