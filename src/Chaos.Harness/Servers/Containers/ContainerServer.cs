using System.Diagnostics;
using System.Security.Cryptography;
using Chaos.Harness.Servers.Internal;
using Docker.DotNet;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Testcontainers.PostgreSql;

namespace Chaos.Harness.Servers.Containers;

/// <summary>
/// A PostgreSQL server in a Docker container of a given image (<c>postgres:17</c>, <c>postgres:16-alpine</c>,
/// an image with extensions), created through Testcontainers.PostgreSql. Like a managed server it has a
/// superuser for the harness and a SCRAM app role on its own database, the settings the faults need on the
/// postmaster's command line, and a port on 127.0.0.1 that stays the same for its whole life:
/// <code>
///   harness, PgBouncer, fault proxy ──► 127.0.0.1:Port (published, leased) ──► docker-proxy ──► container 5432
///   another container (a Toxiproxy of its own) ──► Bridge (container IP:5432)
/// </code>
/// Its capabilities map onto the engine: process control is docker kill -s INT (fast) or QUIT (immediate)
/// of the postmaster, which is PID 1, then docker start, so crash recovery runs on the same data; freeze is
/// docker pause (the cgroup freezer stops every process, as SIGSTOP of the whole tree does); a backend
/// freeze is kill -STOP run inside the container, where pg_stat_activity's pids live.
/// </summary>
internal sealed class ContainerServer : IPostgresServer, IProcessControl, IFreezable, IBackendFreezable
{
    private static readonly TimeSpan s_readyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_fastStopTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_immediateStopTimeout = TimeSpan.FromSeconds(15);
    private const int ContainerPort = 5432;
    private const string AdminApplicationName = "chaos-admin";
    private const string AdminRole = "chaos_admin";
    private const string AppRole = "chaos_app";
    private const string AppDatabase = "chaos";
    private static int s_counter;

    private readonly SemaphoreSlim _control = new(1, 1);
    private readonly DockerEngine _engine;
    private readonly RunRegistry _registry;
    private readonly PostgresOptions _options;
    private readonly string _key;
    private readonly string _name;
    private readonly string _adminPassword;
    private readonly BackendAdmin _admin;
    private PostgreSqlContainer? _container;
    private bool _running;
    private bool _frozen;
    private bool _disposed;

    private ContainerServer(DockerEngine engine, RunRegistry registry, string image, PostgresOptions options)
    {
        _engine = engine;
        _registry = registry;
        _options = options;
        Image = image;
        var n = Interlocked.Increment(ref s_counter);
        // A key in the run directory for RunRegistry's exit handlers; nothing is written there.
        _key = Path.Combine(registry.RunDir, $"container-{n}");
        _name = $"chaos-{registry.RunId}-pg-{n}";
        _adminPassword = NewPassword();
        AppPassword = NewPassword();
        _admin = new BackendAdmin(() => AdminConnectionString, Database);
    }

    public string Host => "127.0.0.1";

    /// <summary>The published host port, bound to 127.0.0.1 only; the same across stop, start and crash.</summary>
    public int Port { get; private set; }

    public string Database => AppDatabase;
    public string AppUser => AppRole;
    public string AppPassword { get; }
    public string Version { get; private set; } = "";

    /// <summary>The image the container runs, as given (postgres:17, chaos/postgres:15-local ...).</summary>
    public string Image { get; }

    /// <summary>The container's id on the engine (empty before it is created).</summary>
    public string ContainerId => IdOf(_container);

    // Testcontainers throws for the id of a container it has not created yet (a start that failed early).
    private static string IdOf(IContainer? container)
    {
        try { return container?.Id ?? ""; }
        catch (InvalidOperationException) { return ""; }
    }

    /// <summary>The run this container belongs to: its label chaos.run.</summary>
    public string RunId => _registry.RunId;

    /// <summary>Where parts on this machine reach the server: 127.0.0.1 and the published port.</summary>
    public ServerEndpoint Published => new(Host, Port);

    /// <summary>
    /// Where another container reaches the server: its IP on the bridge network and 5432. Null while it is
    /// stopped; read again at every start, because Docker may hand a restarted container another IP.
    /// </summary>
    public ServerEndpoint? Bridge { get; private set; }

    /// <summary>Creation to the first successful query (image present; initdb included).</summary>
    public TimeSpan StartupTime { get; private set; }

    public Capability Capabilities => ContainerBackend.ServerCapabilities;

    public string AdminConnectionString => Admin(timeout: 10).ConnectionString;

    public string AppConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = Host, Port = Port, Database = Database, Username = AppUser, Password = AppPassword, SslMode = SslMode.Disable,
    }.ConnectionString;

    private NpgsqlConnectionStringBuilder Admin(int timeout) => new()
    {
        Host = Host, Port = Port, Database = "postgres", Username = AdminRole, Password = _adminPassword,
        Pooling = false, Timeout = timeout, CommandTimeout = 30, ApplicationName = AdminApplicationName, SslMode = SslMode.Disable,
    };

    /// <summary>
    /// Creates and starts a container of <paramref name="image"/> (which the engine must have: the backend
    /// checks, or pulls, before the first one), then creates the app role and database.
    /// </summary>
    internal static async Task<ContainerServer> StartAsync(DockerEngine engine, string image, PostgresOptions? options, CancellationToken ct)
    {
        var registry = await RunRegistry.GetAsync(ct);
        var server = new ContainerServer(engine, registry, image, options ?? new PostgresOptions());
        try
        {
            await server.CreateAsync(ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private async Task CreateAsync(CancellationToken ct)
    {
        const int attempts = 5;
        var clock = Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            Port = ContainerPorts.Lease();
            _container = Build(Port);
            // Registered before the start, so a start that is cancelled or times out still removes the container at exit.
            _registry.Register(_key, EmergencyRemove);
            try
            {
                await StartContainerAsync(ct);
                break;
            }
            catch (Exception e) when (IsPortTaken(e) && attempt < attempts)
            {
                // Something outside this process bound the port between the probe and docker-proxy's bind.
                await RemoveContainerAsync();
                LoopbackPorts.Release(Port);
                Port = 0;
            }
        }
        Version = await WaitReadyAsync(ct);
        await CreateAppRoleAsync(ct);
        StartupTime = clock.Elapsed;
    }

    private PostgreSqlContainer Build(int hostPort) =>
        new PostgreSqlBuilder(Image)
            .WithName(_name)
            .WithLabel(ContainerLabels.Run, _registry.RunId)
            .WithLabel(ContainerLabels.Host, ContainerLabels.ThisHost)
            .WithUsername(AdminRole)
            .WithPassword(_adminPassword)
            .WithDatabase(AppDatabase)
            // Appended after the builder's own "-c fsync=off -c full_page_writes=off -c synchronous_commit=off":
            // postgres takes the last -c of a name, so a fault's settings (synchronous_commit=on) win.
            .WithCommand([.. Arguments()])
            // WithPortBinding names no host address (0.0.0.0 and [::]); the harness binds 127.0.0.1 only, on its leased port.
            .WithCreateParameterModifier(p => ((p.HostConfig ??= new Docker.DotNet.Models.HostConfig()).PortBindings ??= new Dictionary<string, IList<Docker.DotNet.Models.PortBinding>>())[$"{ContainerPort}/tcp"] =
                [new Docker.DotNet.Models.PortBinding { HostIP = "127.0.0.1", HostPort = hostPort.ToString() }])
            // Readiness is the harness's own first query (WaitReadyAsync), polled every 20 ms with the caller's token;
            // the builder's pg_isready check runs once a second, which would add up to a second to every restart.
            .WithWaitStrategy(Wait.ForUnixContainer().AddCustomWaitStrategy(new Started()))
            .WithLogger(NullLogger.Instance)
            .Build();

    private sealed class Started : IWaitUntil
    {
        public Task<bool> UntilAsync(IContainer container) => Task.FromResult(true);
    }

    private IEnumerable<string> Arguments()
    {
        var o = _options;
        var settings = new List<(string, string)>
        {
            ("max_connections", o.MaxConnections.ToString()),
            // As a managed server's: small, but at least 2 buffers per connection.
            ("shared_buffers", $"{Math.Max(16, o.MaxConnections * 2 * 8 / 1024 + 8)}MB"),
            // Durability off, as for managed servers (the harness tests connections, not disks); a fault that
            // needs it (server-crash: synchronous_commit=on) turns it on through Settings, which come last.
            ("fsync", "off"), ("synchronous_commit", "off"), ("full_page_writes", "off"),
            ("wal_level", "minimal"), ("max_wal_senders", "0"),
            ("logging_collector", "off"), ("log_destination", "stderr"),
            ("log_line_prefix", "%m [%p] %q%u@%d %a: "),
            ("log_connections", o.LogConnections ? "on" : "off"),
            ("log_disconnections", o.LogConnections ? "on" : "off"),
        };
        if (o.IdleSessionTimeout is { } idle) settings.Add(("idle_session_timeout", $"{(long)idle.TotalMilliseconds}ms"));
        if (o.IdleInTransactionSessionTimeout is { } idleTx) settings.Add(("idle_in_transaction_session_timeout", $"{(long)idleTx.TotalMilliseconds}ms"));
        settings.AddRange(o.Settings.Select(kv => (kv.Key, kv.Value)));
        foreach (var (name, value) in settings)
        {
            yield return "-c";
            yield return $"{name}={value}";
        }
    }

    /// <summary>The postmaster's command line as the container got it (after the image's entrypoint), for tests and reports.</summary>
    internal async Task<IReadOnlyList<string>> CommandLineAsync(CancellationToken ct) =>
        [.. (await _engine.InspectAsync(ContainerId, ct)).Config?.Cmd ?? []];

    public async Task StopAsync(StopMode mode, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _control.WaitAsync(ct);
        try { await StopCoreAsync(mode, ct); }
        finally { _control.Release(); }
    }

    public async Task StartAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _control.WaitAsync(ct);
        try
        {
            if (_running) return;
            await RestartContainerAsync(ct);
        }
        finally { _control.Release(); }
    }

    public async Task RestartAsync(StopMode mode = StopMode.Fast, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _control.WaitAsync(ct);
        try
        {
            await StopCoreAsync(mode, ct);
            await RestartContainerAsync(ct);
        }
        finally { _control.Release(); }
    }

    /// <summary>
    /// docker pause: the cgroup freezer stops the postmaster and every backend at once. The kernel still
    /// completes TCP handshakes for the container's listening socket, and docker-proxy (a host process, not
    /// paused) accepts connections and connects them through, so clients connect and then hang: the same
    /// "alive but unresponsive" a SIGSTOPped managed server shows.
    /// </summary>
    public async Task FreezeAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _control.WaitAsync(ct);
        try
        {
            if (!_running) throw new InvalidOperationException("cannot freeze: the server is stopped (StartAsync first)");
            if (_frozen) return;
            using var bound = DockerEngine.Bounded(ct);
            await _container!.PauseAsync(bound.Token);
            _frozen = true;
        }
        finally { _control.Release(); }
    }

    public async Task ThawAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _control.WaitAsync(ct);
        try { await ThawCoreAsync(ct); }
        finally { _control.Release(); }
    }

    public Task<int> TerminateBackendsAsync(BackendSelector selector, CancellationToken ct = default)
    {
        EnsureNotFrozen("terminate backends");
        return _admin.TerminateAsync(selector, ct);
    }

    public Task<ActivitySnapshot> GetActivityAsync(CancellationToken ct = default)
    {
        EnsureNotFrozen("read pg_stat_activity");
        return _admin.ActivityAsync(ct);
    }

    /// <summary>
    /// kill -STOP inside the container for the matching backends only (pg_stat_activity's pids are the
    /// container's PID namespace, which docker exec shares): their sockets stay open and swallow requests.
    /// Returns the pids that were stopped.
    /// </summary>
    public async Task<IReadOnlyList<int>> FreezeBackendsAsync(BackendSelector selector, CancellationToken ct = default)
    {
        EnsureNotFrozen("freeze backends");
        var pids = await _admin.PidsAsync(selector, ct);
        if (pids.Count == 0) return [];
        // The shell's own kill, so the image needs nothing beyond /bin/sh (Debian, Alpine and the local image all have it).
        var stopped = await ExecAsync("for p; do kill -STOP \"$p\" 2>/dev/null && echo \"$p\"; done; true", pids, ct);
        return [.. stopped.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse)];
    }

    /// <summary>SIGTERM while still stopped, then SIGCONT: each backend dies (57P01) before it answers what it swallowed.</summary>
    public async Task TerminateAndThawBackendsAsync(IReadOnlyList<int> pids, CancellationToken ct = default)
    {
        if (pids.Count == 0) return;
        EnsureNotFrozen("thaw backends");
        await ExecAsync("for p; do kill -TERM \"$p\" 2>/dev/null; kill -CONT \"$p\" 2>/dev/null; done; true", pids, ct);
    }

    private async Task<string> ExecAsync(string script, IReadOnlyList<int> pids, CancellationToken ct)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(DockerEngine.CallBound);
        var result = await _container!.ExecAsync(["sh", "-c", script, "sh", .. pids.Select(p => p.ToString())], bound.Token);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"docker exec in {_name} failed (exit code {result.ExitCode}): {result.Stderr.Trim()}");
        return result.Stdout;
    }

    /// <summary>The container's output (postgres logs to stderr), or a line saying why there is none.</summary>
    public async Task<string> ReadLogAsync(CancellationToken ct = default)
    {
        if (_container is null || _disposed) return $"(container {_name} is gone: its log went with it)";
        try
        {
            using var bound = DockerEngine.Bounded(ct);
            var (stdout, stderr) = await _container.GetLogsAsync(default, default, false, bound.Token);
            return stdout + stderr;
        }
        catch (DockerApiException e) { return $"(the log of container {_name} could not be read: {e.Message})"; }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { return $"(the log of container {_name}: the engine did not answer within {DockerEngine.CallBound.TotalSeconds:0} s)"; }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        // Cleanup must happen even when the caller's token is already cancelled: every wait here has its own bound.
        await _control.WaitAsync(CancellationToken.None);
        try
        {
            await RemoveContainerAsync();
            if (Port != 0) LoopbackPorts.Release(Port);
            _registry.Unregister(_key);
        }
        finally { _control.Release(); }
    }

    private async Task StartContainerAsync(CancellationToken ct)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(s_readyTimeout);
        try { await _container!.StartAsync(bound.Token); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ServerSetupException($"the container {_name} ({Image}) did not start within {s_readyTimeout.TotalSeconds:0} s");
        }
        _running = true;
    }

    /// <summary>docker start of the stopped container on its port, then the first query. The port is retried, not exchanged: the proxy's upstream names it.</summary>
    private async Task RestartContainerAsync(CancellationToken ct)
    {
        const int attempts = 5;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartContainerAsync(ct);
                break;
            }
            catch (Exception e) when (IsPortTaken(e) && attempt < attempts)
            {
                await Task.Delay(200 * attempt, ct);
            }
            catch (Exception e) when (IsPortTaken(e))
            {
                throw new ServerSetupException($"the container {_name} could not publish 127.0.0.1:{Port} again after {attempts} attempts: {DockerEngine.Innermost(e)}", e);
            }
        }
        await WaitReadyAsync(ct);
    }

    /// <summary>Polls a first query as the admin every 20 ms; a container that exits meanwhile fails at once, with its log.</summary>
    private async Task<string> WaitReadyAsync(CancellationToken ct)
    {
        var waited = Stopwatch.StartNew();
        var lastInspect = TimeSpan.Zero;
        string? lastError = null;
        var probe = Admin(timeout: 2).ConnectionString;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                await using var conn = new NpgsqlConnection(probe);
                await conn.OpenAsync(ct);
                var version = await BackendAdmin.ReadAsync(conn, "SHOW server_version", r => r.GetString(0), ct);
                Bridge = await BridgeAsync(ct);
                return version;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException) { lastError = e.Message; }

            if (waited.Elapsed - lastInspect > TimeSpan.FromMilliseconds(250))
            {
                lastInspect = waited.Elapsed;
                var state = (await _engine.InspectAsync(ContainerId, ct)).State;
                if (state is not { Running: true })
                {
                    _running = false;
                    throw new ServerSetupException(
                        $"the container {_name} ({Image}) exited during startup (exit code {state?.ExitCode}). Its log:\n{Tail(await ReadLogAsync(ct), 25)}");
                }
            }
            if (waited.Elapsed > s_readyTimeout)
                throw new ServerSetupException(
                    $"postgres in container {_name} ({Image}) on 127.0.0.1:{Port} answered no query within {s_readyTimeout.TotalSeconds:0} s" +
                    $"{(lastError is null ? "" : $" (last error: {lastError})")}. Its log:\n{Tail(await ReadLogAsync(ct), 25)}");
            await Task.Delay(20, ct);
        }
    }

    private async Task<ServerEndpoint?> BridgeAsync(CancellationToken ct)
    {
        var networks = (await _engine.InspectAsync(ContainerId, ct)).NetworkSettings?.Networks;
        var ip = networks?.Values.Select(n => n.IPAddress).FirstOrDefault(a => !string.IsNullOrEmpty(a));
        return ip is null ? null : new ServerEndpoint(ip, ContainerPort);
    }

    // The image created POSTGRES_USER (the harness's superuser) and POSTGRES_DB; the app role is made here,
    // SCRAM like a managed server's, and owns the database (and so, from PostgreSQL 15, its public schema).
    private async Task CreateAppRoleAsync(CancellationToken ct)
    {
        await using var conn = await _admin.OpenAsync(ct);
        await BackendAdmin.ExecuteAsync(conn, "SET password_encryption = 'scram-sha-256'", ct);
        await BackendAdmin.ExecuteAsync(conn, $"CREATE ROLE {AppRole} LOGIN PASSWORD '{AppPassword}'", ct);
        await BackendAdmin.ExecuteAsync(conn, $"ALTER DATABASE {AppDatabase} OWNER TO {AppRole}", ct);
    }

    private async Task StopCoreAsync(StopMode mode, CancellationToken ct)
    {
        if (!_running) return;
        await ThawCoreAsync(ct);
        // Sent to PID 1, the postmaster, whatever the image's STOPSIGNAL: SIGINT is a fast shutdown (SIGTERM
        // would be a smart one, which waits for every client), SIGQUIT an immediate one: crash recovery next start.
        var timeout = mode == StopMode.Fast ? s_fastStopTimeout : s_immediateStopTimeout;
        try { await _engine.SignalAsync(ContainerId, mode == StopMode.Fast ? "INT" : "QUIT", ct); }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict) { /* not running: already stopped */ }
        var exited = await _engine.WaitStoppedAsync(ContainerId, timeout, ct);
        if (!exited)
        {
            await _engine.SignalAsync(ContainerId, "KILL", CancellationToken.None);
            await _engine.WaitStoppedAsync(ContainerId, TimeSpan.FromSeconds(10), CancellationToken.None);
        }
        _running = false;
        Bridge = null;
        if (!exited)
            throw new ServerSetupException(
                $"postgres in container {_name} did not stop ({mode}) within {timeout.TotalSeconds:0} s and was killed. Its log:\n{Tail(await ReadLogAsync(CancellationToken.None), 25)}");
    }

    private async Task ThawCoreAsync(CancellationToken ct)
    {
        if (!_frozen) return;
        using var bound = DockerEngine.Bounded(ct);
        await _container!.UnpauseAsync(bound.Token);
        _frozen = false;
    }

    private async Task RemoveContainerAsync()
    {
        if (_container is not { } container) return;
        using var bound = new CancellationTokenSource(DockerEngine.CallBound);
        try
        {
            // docker rm -f -v: the anonymous volume of the image's VOLUME goes with it (it carries no label to reap by).
            if (IdOf(container) is { Length: > 0 } id) await _engine.RemoveAsync(id, bound.Token);
        }
        catch (Exception e) when (e is DockerApiException or OperationCanceledException or HttpRequestException or IOException)
        {
            /* the engine went away: the next run's reaper removes it by label */
        }
        try { await container.DisposeAsync().AsTask().WaitAsync(DockerEngine.CallBound); }
        catch (Exception e) when (e is DockerApiException or TimeoutException or HttpRequestException or IOException or InvalidOperationException) { }
        _container = null;
        _running = false;
    }

    // Runs from the process-exit handler: no async context, short bounds.
    private void EmergencyRemove()
    {
        if (IdOf(_container) is not { Length: > 0 } id) return;
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        _engine.RemoveAsync(id, bound.Token).GetAwaiter().GetResult();
    }

    private void EnsureNotFrozen(string what)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_frozen) throw new InvalidOperationException($"cannot {what}: the server is frozen (ThawAsync first)");
    }

    private static bool IsPortTaken(Exception e) =>
        DockerEngine.Innermost(e) is var m && (m.Contains("address already in use", StringComparison.OrdinalIgnoreCase) || m.Contains("port is already allocated", StringComparison.OrdinalIgnoreCase))
        || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("port is already allocated", StringComparison.OrdinalIgnoreCase);

    private static string Tail(string log, int lines) =>
        string.Join('\n', log.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(lines));

    private static string NewPassword() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
