using Chaos.Harness.Poolers;
using Chaos.Harness.Servers;
using NUnit.Framework;
using NUnit.Framework.Interfaces;

namespace Chaos.Tests.Support;

/// <summary>
/// Base for tests that need real servers. Servers started through it are disposed after every test
/// (even a failed or cancelled one), and a failed test gets their logs in its output.
/// A machine without PostgreSQL fails the test with the setup message, not a stack trace of internals.
/// </summary>
public abstract class ServerTest
{
    private readonly List<IPostgresServer> _clusters = [];
    private readonly List<PgBouncer> _bouncers = [];
    // Every budget of the test, disposed at its end: a server started under an earlier one may still hold its token.
    private readonly List<CancellationTokenSource> _timeouts = [];

    /// <summary>Bounds every test's server work; a hung server fails the test instead of the run.</summary>
    protected CancellationToken Timeout { get; private set; }

    [SetUp]
    public void StartTimeout()
    {
        var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        _timeouts.Add(timeout);
        Timeout = timeout.Token;
    }

    /// <summary>
    /// A fresh 60 s for the test's own server work, after it waited for something it does not bound itself
    /// (a matrix row, which has its own bound and can take minutes on a loaded machine).
    /// </summary>
    protected void RestartTimeout() => StartTimeout();

    /// <summary>A server as the environment asks: managed, or attached when CHAOS_PG_ADMIN is set.</summary>
    private protected async Task<IPostgresServer> StartClusterAsync(PostgresOptions? options = null) =>
        Track(await TestServers.StartClusterAsync(options, Timeout));

    /// <summary>A managed server even when CHAOS_PG_ADMIN is set: for tests of process control.</summary>
    private protected async Task<ManagedServer> StartManagedClusterAsync(PostgresOptions? options = null) =>
        Track(await TestServers.StartManagedClusterAsync(options, Timeout));

    private protected async Task<PgBouncer> StartPgBouncerAsync(IPostgresServer cluster, PgBouncerOptions? options = null)
    {
        try
        {
            var bouncer = await PgBouncer.StartAsync(cluster, options, Timeout);
            lock (_bouncers) _bouncers.Add(bouncer);
            return bouncer;
        }
        catch (ServerSetupException e)
        {
            Assert.Fail(e.Message);
            throw; // unreachable: Assert.Fail throws
        }
    }

    /// <summary>Takes over the cleanup (and log attachment) of a cluster the test created itself.</summary>
    private protected T Track<T>(T cluster) where T : IPostgresServer
    {
        lock (_clusters) _clusters.Add(cluster); // tests may start several clusters concurrently
        return cluster;
    }

    [TearDown]
    public async Task DisposeServers()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == TestStatus.Failed)
            foreach (var cluster in _clusters)
                await TestServers.WriteLogAsync(cluster, TestContext.Out);
        // Newest first: a PgBouncer or an attached cluster depends on a server started before it.
        foreach (var bouncer in Enumerable.Reverse(_bouncers)) await bouncer.DisposeAsync();
        foreach (var cluster in Enumerable.Reverse(_clusters)) await cluster.DisposeAsync();
        _bouncers.Clear();
        _clusters.Clear();
        foreach (var timeout in _timeouts) timeout.Dispose();
        _timeouts.Clear();
    }
}

/// <summary>Server helpers for tests that do not derive from <see cref="ServerTest"/> (the matrix tests).</summary>
public static class TestServers
{
    /// <summary>Starts a cluster; a setup problem fails the test with its message.</summary>
    internal static async Task<IPostgresServer> StartClusterAsync(PostgresOptions? options = null, CancellationToken ct = default)
    {
        try
        {
            return await ServerBackend.FromEnvironment().StartAsync(options ?? new PostgresOptions(), ct);
        }
        catch (ServerSetupException e)
        {
            Assert.Fail(e.Message);
            throw; // unreachable: Assert.Fail throws
        }
    }

    /// <summary>Starts a managed cluster, ignoring CHAOS_PG_ADMIN; a setup problem fails the test with its message.</summary>
    internal static async Task<ManagedServer> StartManagedClusterAsync(PostgresOptions? options = null, CancellationToken ct = default)
    {
        try
        {
            return await ManagedServer.StartAsync(options, ct);
        }
        catch (ServerSetupException e)
        {
            Assert.Fail(e.Message);
            throw; // unreachable: Assert.Fail throws
        }
    }

    /// <summary>Writes the server log to the test output; call it from a TearDown when the test failed.</summary>
    internal static async Task WriteLogAsync(IPostgresServer cluster, TextWriter output)
    {
        await output.WriteLineAsync($"----- server log {cluster.Host}:{cluster.Port} -----");
        await output.WriteLineAsync(await cluster.ReadLogAsync());
    }

    /// <summary>An environment lookup with some variables overridden (null = unset), for code that takes one.</summary>
    public static Func<string, string?> Environment(params (string Name, string? Value)[] overrides) =>
        name => overrides.Any(o => o.Name == name)
            ? overrides.First(o => o.Name == name).Value
            : System.Environment.GetEnvironmentVariable(name);

    /// <summary>Polls until the condition holds; fails the test with <paramref name="what"/> after the deadline.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, TimeSpan within, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > within) Assert.Fail($"waited {within.TotalSeconds:0.#}s for {what}");
            await Task.Delay(20);
        }
    }

    public static Task EventuallyAsync(Func<bool> condition, TimeSpan within, string what) =>
        EventuallyAsync(() => Task.FromResult(condition()), within, what);
}
