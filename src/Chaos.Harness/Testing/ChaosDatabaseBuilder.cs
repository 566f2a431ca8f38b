using Chaos.Harness.Environments;
using Chaos.Harness.Poolers;
using Chaos.Harness.Servers;
using Chaos.Harness.Servers.Internal;

namespace Chaos.Harness.Testing;

/// <summary>
/// Describes a <see cref="ChaosDatabase"/> before it starts: a PostgreSQL server the harness runs as a child
/// process, optionally PgBouncer in transaction mode, and the fault proxy in front of whichever the code under
/// test talks to. Immutable: every <c>With*</c> returns a new builder, so a base configuration can be shared.
/// Nothing is read from environment variables and no process-wide state changes unless a method says so.
/// </summary>
/// <example>
/// <code>
/// await using var db = await new ChaosDatabaseBuilder().WithPgBouncer().StartAsync(ct);
/// </code>
/// </example>
public sealed record ChaosDatabaseBuilder
{
    /// <summary>The default application name of the connections <see cref="ChaosDatabase.ConnectionString"/> opens.</summary>
    public const string DefaultApplicationName = "chaos-app";

    private string? _pgBin;
    private string? _pgBouncer;
    private string? _serverUser;
    private Uri? _toxiproxy;
    private bool _pooler;
    private bool _signalCleanup;
    private string _applicationName = DefaultApplicationName;
    private Dictionary<string, string> _settings = [];
    private int _maxConnections = 100;

    /// <summary>Puts PgBouncer in transaction mode between the proxy and the server (session state does not survive a transaction there).</summary>
    public ChaosDatabaseBuilder WithPgBouncer() => this with { _pooler = true };

    /// <summary>The bin directory of the PostgreSQL server to run (holding postgres and initdb); by default pg_config on PATH, then the usual install locations.</summary>
    /// <param name="binDirectory">For example /usr/lib/postgresql/16/bin.</param>
    public ChaosDatabaseBuilder WithPostgresBinaries(string binDirectory) => this with { _pgBin = Require(binDirectory, nameof(binDirectory)) };

    /// <summary>The pgbouncer executable to run; by default PATH, then the usual install locations.</summary>
    /// <param name="executable">The path of the pgbouncer binary.</param>
    public ChaosDatabaseBuilder WithPgBouncerExecutable(string executable) => this with { _pgBouncer = Require(executable, nameof(executable)) };

    /// <summary>
    /// The unprivileged user the servers run as when the tests run as root (PostgreSQL refuses root); default
    /// <c>postgres</c>. Ignored when the tests do not run as root.
    /// </summary>
    /// <param name="user">An existing user name.</param>
    public ChaosDatabaseBuilder WithServerUser(string user) => this with { _serverUser = Require(user, nameof(user)) };

    /// <summary>A postgresql.conf setting of the server, for example <c>("idle_session_timeout", "2s")</c>; it wins over the harness's own.</summary>
    /// <param name="name">The setting's name.</param>
    /// <param name="value">Its value, as postgresql.conf spells it.</param>
    public ChaosDatabaseBuilder WithServerSetting(string name, string value) =>
        this with { _settings = new Dictionary<string, string>(_settings) { [Require(name, nameof(name))] = value } };

    /// <summary>The server's max_connections (default 100).</summary>
    /// <param name="maxConnections">At least 5: the harness needs a few for administration.</param>
    public ChaosDatabaseBuilder WithMaxConnections(int maxConnections) =>
        maxConnections >= 5 ? this with { _maxConnections = maxConnections } : throw new ArgumentOutOfRangeException(nameof(maxConnections), maxConnections, "at least 5");

    /// <summary>Uses a real Toxiproxy at <paramref name="apiAddress"/> instead of the embedded, in-process one.</summary>
    /// <param name="apiAddress">Its HTTP API, for example http://127.0.0.1:8474.</param>
    public ChaosDatabaseBuilder WithToxiproxy(Uri apiAddress) => this with { _toxiproxy = apiAddress ?? throw new ArgumentNullException(nameof(apiAddress)) };

    /// <summary>The Application Name <see cref="ChaosDatabase.ConnectionString"/> carries; faults select the code's backends by it.</summary>
    /// <param name="applicationName">At most 63 bytes: PostgreSQL keeps no more.</param>
    public ChaosDatabaseBuilder WithApplicationName(string applicationName) =>
        ApplicationNames.Fit(Require(applicationName, nameof(applicationName))) is var fit && fit == applicationName
            ? this with { _applicationName = applicationName }
            : throw new ArgumentException($"PostgreSQL keeps only {ApplicationNames.MaxBytes} bytes of an application name", nameof(applicationName));

    /// <summary>
    /// Opt-in, process-wide: also stop the servers when the test host is ended by SIGTERM or SIGHUP (a CI
    /// timeout), by registering signal handlers that let the signal's default action go on afterwards. Without
    /// it servers are stopped on dispose and at a normal exit, and a killed run's leftovers are reaped by the
    /// next run.
    /// </summary>
    public ChaosDatabaseBuilder WithCleanupOnSignals() => this with { _signalCleanup = true };

    /// <summary>Starts the server, the pooler if asked for and the proxy; disposes whatever started when a later part fails.</summary>
    /// <param name="ct">Cancels the start; a start is bounded by the harness's own readiness timeouts (60 s for the server).</param>
    /// <returns>The running database; dispose it to stop every process it started.</returns>
    /// <exception cref="ChaosSetupException">The machine lacks PostgreSQL or PgBouncer, or a server user; the message says what to install or set.</exception>
    public async Task<ChaosDatabase> StartAsync(CancellationToken ct = default)
    {
        if (_signalCleanup) RunRegistry.EnableSignalCleanup();
        var spec = new EnvironmentSpec
        {
            Server = new PostgresOptions { MaxConnections = _maxConnections, Settings = new Dictionary<string, string>(_settings) },
            Pooler = _pooler ? EnvironmentSpec.TransactionPooler : null,
        };
        try
        {
            return await ChaosDatabase.StartAsync(spec, Lookup, _toxiproxy?.ToString(), _applicationName, ct);
        }
        catch (ServerSetupException e)
        {
            throw new ChaosSetupException(e.Message, e);
        }
    }

    /// <summary>What the harness would read from the environment, answered from this builder (PATH alone comes from the process: pg_config is found there).</summary>
    private string? Lookup(string name) => name switch
    {
        "CHAOS_PG_BIN" => _pgBin,
        "CHAOS_PGBOUNCER" => _pgBouncer,
        "CHAOS_PG_USER" => _serverUser,
        "PATH" => Environment.GetEnvironmentVariable("PATH"),
        _ => null,
    };

    private static string Require(string value, string name) =>
        string.IsNullOrWhiteSpace(value) ? throw new ArgumentException("must not be empty", name) : value;
}

/// <summary>The machine cannot run what a <see cref="ChaosDatabaseBuilder"/> asked for; the message says what to install or configure.</summary>
public sealed class ChaosSetupException : Exception
{
    /// <summary>A setup failure with what to fix.</summary>
    /// <param name="message">What is missing and how to fix it.</param>
    /// <param name="inner">The harness's own exception.</param>
    public ChaosSetupException(string message, Exception? inner = null) : base(message, inner) { }
}
