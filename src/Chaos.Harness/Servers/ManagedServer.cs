using System.Diagnostics;
using Chaos.Harness.Servers.Internal;
using Npgsql;

namespace Chaos.Harness.Servers;

/// <summary>
/// A PostgreSQL server under the harness's full control: started from the machine's binaries as a fresh
/// copy of a cached template, in tmpfs, on 127.0.0.1 and a port it keeps for life, stopped periods
/// included. It can be stopped, started, restarted, frozen, and have single backends frozen. In a matrix run an
/// untouched one goes to the next cell instead of stopping (<see cref="ServerShelf"/>).
/// </summary>
internal sealed class ManagedServer : IPostgresServer, IProcessControl, IFreezable, IBackendFreezable
{
    private static readonly TimeSpan s_readyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_fastStopTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_immediateStopTimeout = TimeSpan.FromSeconds(15);
    private const string AdminApplicationName = "chaos-admin";

    private readonly SemaphoreSlim _control = new(1, 1);
    private readonly PgBinaries _binaries;
    private readonly ServerUser _user;
    private readonly RunRegistry _registry;
    private readonly string _dir;
    private readonly PostgresOptions _options;
    private readonly Template _template;

    /// <summary>The server this one streams from while it is a standby; null while it is a primary.</summary>
    private ManagedServer? _upstream;

    /// <summary>The database host this server runs inside (the kernel network path); null: loopback.</summary>
    private Network.Kernel.DatabaseHost? _networkHost;
    private readonly string _adminUser;
    private readonly string _adminPassword;
    private readonly BackendAdmin _admin;
    private ServerProcess? _process;
    private int _postmasterPid;
    private bool _frozen;
    private bool _disposed;

    /// <summary>Where this server goes when disposed, if nothing was done to it but backend administration (a matrix run's reuse).</summary>
    private ServerShelf? _shelf;

    /// <summary>Stopped, started, frozen, promoted, replicated from: its state is no longer what a fresh copy of the template has.</summary>
    private bool _altered;

    private ManagedServer(PgBinaries binaries, ServerUser user, RunRegistry registry, string dir, PostgresOptions options, Template template)
    {
        _binaries = binaries;
        _user = user;
        _registry = registry;
        _dir = dir;
        _options = options;
        _template = template;
        Database = template.Database;
        AppUser = template.AppUser;
        AppPassword = template.AppPassword;
        _adminUser = template.AdminUser;
        _adminPassword = template.AdminPassword;
        _admin = new BackendAdmin(() => AdminConnectionString, Database);
    }

    public string Host => _networkHost?.Address.ToString() ?? "127.0.0.1";
    public int Port { get; private set; }
    public string Database { get; }
    public string AppUser { get; }
    public string AppPassword { get; }
    public string Version { get; private set; } = "";

    public Capability Capabilities =>
        Capability.ProcessControl | Capability.Freeze | Capability.BackendFreeze | Capability.ServerConfiguration;

    /// <summary>The server log. It outlives the server until the next run reaps this run.</summary>
    public string LogPath => _dir + ".log";

    public string AdminConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = Host, Port = Port, Database = "postgres", Username = _adminUser, Password = _adminPassword,
        Pooling = false, Timeout = 10, CommandTimeout = 30, ApplicationName = AdminApplicationName,
    }.ConnectionString;

    public string AppConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = Host, Port = Port, Database = Database, Username = AppUser, Password = AppPassword, SslMode = SslMode.Disable,
    }.ConnectionString;

    internal string AdminUser => _adminUser;
    internal string AdminPassword => _adminPassword;
    internal int PostmasterPid => _postmasterPid;
    internal PostgresOptions Options => _options;
    internal string DataDir => Path.Combine(_dir, "data");
    internal string Dir => _dir;

    /// <summary>Starts a server from the machine's PostgreSQL binaries (see README: CHAOS_PG_BIN and the search order).</summary>
    public static Task<ManagedServer> StartAsync(PostgresOptions? options = null, CancellationToken ct = default) =>
        StartAsync(options, Environment.GetEnvironmentVariable, templateRoot: null, ct);

    internal static async Task<ManagedServer> StartAsync(PostgresOptions? options, Func<string, string?> env, string? templateRoot, CancellationToken ct)
    {
        options ??= new PostgresOptions();
        if (OperatingSystem.IsWindows())
            throw new ServerSetupException(
                "Managed servers need Linux or macOS (signals, /proc). On Windows set CHAOS_PG_ADMIN to a superuser connection string of a running server.");

        var binaries = PgBinaries.Locate(env);
        var user = ServerUser.Detect(env);
        var registry = await RunRegistry.GetAsync(ct);
        var template = await TemplateCache.GetAsync(binaries, user, templateRoot, ct);
        var dir = registry.NewServerDir("pg", user);
        var server = new ManagedServer(binaries, user, registry, dir, options, template);
        try
        {
            await CopyAsync(template.DataDir, server.DataDir, ct);
            await server.StartCoreAsync(freshPort: true, ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    // cp -a keeps the server user's ownership and the 0700 mode postgres insists on.
    private static async Task CopyAsync(string from, string to, CancellationToken ct)
    {
        using var cp = Process.Start(new ProcessStartInfo("cp") { ArgumentList = { "-a", from, to }, RedirectStandardError = true, UseShellExecute = false })
            ?? throw new ServerSetupException("could not run cp");
        var stderr = cp.StandardError.ReadToEndAsync(ct);
        await cp.WaitForExitAsync(ct);
        if (cp.ExitCode != 0) throw new ServerSetupException($"copying the template {from} to {to} failed: {await stderr}");
    }

    public async Task StopAsync(StopMode mode, CancellationToken ct = default)
    {
        _altered = true;
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _control.WaitAsync(ct);
        try { await StopCoreAsync(mode, ct); }
        finally { _control.Release(); }
    }

    public async Task StartAsync(CancellationToken ct = default)
    {
        _altered = true;
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _control.WaitAsync(ct);
        try
        {
            if (_process is not null) return;
            await StartCoreAsync(freshPort: false, ct);
        }
        finally { _control.Release(); }
    }

    public async Task RestartAsync(StopMode mode = StopMode.Fast, CancellationToken ct = default)
    {
        _altered = true;
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _control.WaitAsync(ct);
        try
        {
            await StopCoreAsync(mode, ct);
            await StartCoreAsync(freshPort: false, ct);
        }
        finally { _control.Release(); }
    }

    /// <summary>
    /// SIGSTOP the postmaster, then every process under it. The kernel still completes TCP handshakes
    /// (the listen backlog), so clients connect and then hang: a server that is alive but unresponsive.
    /// </summary>
    public async Task FreezeAsync(CancellationToken ct = default)
    {
        _altered = true;
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _control.WaitAsync(ct);
        try
        {
            EnsureRunning("freeze");
            if (_frozen) return;
            // Postmaster first: once it is stopped it cannot fork a child we would miss.
            Native.Signal(_postmasterPid, UnixSignal.Stop);
            foreach (var pid in ProcessTree.Descendants(_postmasterPid)) Native.Signal(pid, UnixSignal.Stop);
            _frozen = true;
        }
        finally { _control.Release(); }
    }

    public async Task ThawAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _control.WaitAsync(ct);
        try { ThawCore(); }
        finally { _control.Release(); }
    }

    /// <summary>
    /// A server inside <paramref name="host"/>: it listens on the host's address only, runs in the host's network
    /// namespace (the host's command prefix in front of the server user's; <c>ip netns exec</c> execs in place,
    /// so the pid is still the postmaster's and it is reaped like any other server), and lets the application's
    /// end of the link in. The harness administers it over the link too: an admin query during a partition
    /// waits like the application's (the sampler's are bounded).
    /// </summary>
    internal static async Task<ManagedServer> StartInsideAsync(Network.Kernel.DatabaseHost host, PostgresOptions options, CancellationToken ct)
    {
        var binaries = PgBinaries.Locate(Environment.GetEnvironmentVariable);
        var user = ServerUser.Detect(Environment.GetEnvironmentVariable);
        var registry = await RunRegistry.GetAsync(ct);
        var template = await TemplateCache.GetAsync(binaries, user, root: null, ct);
        var dir = registry.NewServerDir("pg", user);
        var inside = user with { CommandPrefix = [.. host.CommandPrefix, .. user.CommandPrefix] };
        var server = new ManagedServer(binaries, inside, registry, dir, options, template) { _networkHost = host };
        try
        {
            await CopyAsync(template.DataDir, server.DataDir, ct);
            // The template trusts loopback only; the application and the harness arrive from the link's other end,
            // and PgBouncer beside the server from the host's own address.
            await File.AppendAllTextAsync(Path.Combine(server.DataDir, "pg_hba.conf"),
                $"\nhost all all {host.ApplicationAddress}/32 scram-sha-256\nhost all all {host.Address}/32 scram-sha-256\n", ct);
            await server.StartCoreAsync(freshPort: true, ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>True while this server is a standby (recovering, streaming from another).</summary>
    public bool IsStandby => _upstream is not null;

    /// <summary>
    /// A streaming standby of <paramref name="primary"/>: a base backup of it (pg_basebackup, WAL streamed),
    /// then started on a port of its own with <c>standby.signal</c> and a <c>primary_conninfo</c> naming it
    /// <c>standby</c> (which a synchronous primary waits for). The primary must run with
    /// <see cref="Replication.PrimarySettings"/>.
    /// </summary>
    public static async Task<ManagedServer> StartStandbyAsync(ManagedServer primary, PostgresOptions options, CancellationToken ct)
    {
        var registry = await RunRegistry.GetAsync(ct);
        var dir = registry.NewServerDir("pg", primary._user);
        var standby = new ManagedServer(primary._binaries, primary._user, registry, dir, options, primary._template) { _upstream = primary };
        primary._altered = true; // replication settings, a WAL sender, a base backup taken
        try
        {
            var passfile = standby.WritePassfile();
            string[] args =
            [
                "-D", standby.DataDir, "-d", primary.ReplicationConninfo(passfile), "-X", "stream", "-c", "fast", "--no-sync",
            ];
            var log = dir + ".basebackup.log";
            var exit = await ServerProcess.RunAsync(primary._binaries.BaseBackup, args, log, primary._user, TimeSpan.FromSeconds(60), ct);
            if (exit != 0)
                throw new ServerSetupException($"pg_basebackup of the primary on port {primary.Port} failed (exit code {exit}):\n{LogFile.Tail(log)}");
            await File.WriteAllTextAsync(Path.Combine(standby.DataDir, "standby.signal"), "", ct);
            primary._user.Own(Path.Combine(standby.DataDir, "standby.signal"));
            await standby.StartCoreAsync(freshPort: true, ct);
            await primary.WaitForStreamingStandbyAsync(ct);
            return standby;
        }
        catch
        {
            await standby.DisposeAsync();
            throw;
        }
    }

    /// <summary>Promotes a standby to primary (pg_promote, waiting until it accepts writes).</summary>
    public async Task PromoteAsync(CancellationToken ct = default)
    {
        _altered = true;
        EnsureNotFrozen("promote");
        await using var conn = await OpenAdminAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT pg_promote(true, 30)", conn);
        if (await cmd.ExecuteScalarAsync(ct) is not true)
            throw new ServerSetupException($"the standby on port {Port} was not promoted within 30 s. Log {LogPath}:\n{LogFile.Tail(LogPath)}");
        _upstream = null;
    }

    /// <summary>
    /// Stops this primary's WAL senders (SIGSTOP): what it commits from now on stays in its own WAL, as when
    /// the link to its standby is slow or down. Returns their pids, for <see cref="KillProcesses"/>.
    /// </summary>
    public async Task<IReadOnlyList<int>> FreezeWalSendersAsync(CancellationToken ct = default)
    {
        _altered = true;
        var pids = new List<int>();
        await using (var conn = await OpenAdminAsync(ct))
        await using (var cmd = new NpgsqlCommand("SELECT pid FROM pg_stat_replication", conn))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                pids.Add(reader.GetInt32(0));
            }
        }
        var ours = ProcessTree.Descendants(_postmasterPid).ToHashSet();
        IReadOnlyList<int> frozen = [.. pids.Where(pid => ours.Contains(pid) && Native.Signal(pid, UnixSignal.Stop))];
        // Nothing to freeze means replication was not running: the fault would strike nothing, and say so.
        return frozen.Count > 0
            ? frozen
            : throw new ServerSetupException($"no WAL sender of the primary on port {Port} to stop: no standby is streaming from it");
    }

    /// <summary>SIGKILL for processes of this server (a frozen WAL sender must not send what it holds when the server dies).</summary>
    public void KillProcesses(IReadOnlyList<int> pids)
    {
        _altered = true;
        var ours = ProcessTree.Descendants(_postmasterPid).ToHashSet();
        foreach (var pid in pids.Where(ours.Contains))
        {
            Native.Signal(pid, UnixSignal.Kill);
        }
    }

    /// <summary>Starts this stopped server as a standby of <paramref name="primary"/> (a former primary rejoining after a switchover).</summary>
    public async Task StartAsStandbyOfAsync(ManagedServer primary, CancellationToken ct = default)
    {
        _altered = true;
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _control.WaitAsync(ct);
        try
        {
            if (_process is not null) await StopCoreAsync(StopMode.Fast, ct);
            var signal = Path.Combine(DataDir, "standby.signal");
            await File.WriteAllTextAsync(signal, "", ct);
            _user.Own(signal);
            if (!File.Exists(Path.Combine(_dir, "pgpass"))) WritePassfile();
            _upstream = primary;
            await StartCoreAsync(freshPort: false, ct);
        }
        finally { _control.Release(); }
        await primary.WaitForStreamingStandbyAsync(ct);
    }

    /// <summary>
    /// Waits (at most 30 s) until a standby streams from this primary. A fault that stalls replication
    /// before the standby has connected would stall nothing, and a failover would then lose nothing for a
    /// reason that is not the settings under test.
    /// </summary>
    private Task WaitForStreamingStandbyAsync(CancellationToken ct) =>
        Poll.UntilAsync(async () =>
            {
                await using var conn = await OpenAdminAsync(ct);
                await using var cmd = new NpgsqlCommand("SELECT count(*)::int FROM pg_stat_replication WHERE state = 'streaming'", conn);
                return (int)(await cmd.ExecuteScalarAsync(ct))! > 0;
            },
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20),
            () => $"no standby was streaming from the primary on port {Port} 30 s after it started. Log {LogPath}:\n{LogFile.Tail(LogPath)}", ct);

    /// <summary>Pauses (or resumes) WAL replay on this standby: it keeps receiving, but reads see an older state.</summary>
    public async Task SetReplayPausedAsync(bool paused, CancellationToken ct = default)
    {
        _altered = true;
        await using var conn = await OpenAdminAsync(ct);
        await using var cmd = new NpgsqlCommand(paused ? "SELECT pg_wal_replay_pause()" : "SELECT pg_wal_replay_resume()", conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>WAL received but not replayed yet, in bytes; null on a primary.</summary>
    public async Task<long?> ReplayLagBytesAsync(CancellationToken ct = default)
    {
        await using var conn = await OpenAdminAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint", conn);
        return await cmd.ExecuteScalarAsync(ct) is long lag ? lag : null;
    }

    private string WritePassfile()
    {
        var path = Path.Combine(_dir, "pgpass");
        File.WriteAllText(path, $"*:*:*:{_adminUser}:{_adminPassword}\n");
        Dirs.SetMode(path, 0b110_000_000);
        _user.Own(path);
        return path;
    }

    /// <summary>How a standby reaches this server: the admin role (a superuser may replicate), named <c>standby</c>.</summary>
    private string ReplicationConninfo(string passfile) =>
        $"host={Host} port={Port} user={_adminUser} passfile={passfile} application_name={Replication.StandbyName}";

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
    /// SIGSTOP only the backends that match, leaving the postmaster and every other session running: their
    /// sockets stay open and swallow requests (the kernel still ACKs), as connections a middlebox forgot.
    /// </summary>
    public async Task<IReadOnlyList<int>> FreezeBackendsAsync(BackendSelector selector, CancellationToken ct = default)
    {
        _altered = true;
        EnsureNotFrozen("freeze backends");
        var pids = await _admin.PidsAsync(selector, ct);
        var ours = ProcessTree.Descendants(_postmasterPid).ToHashSet();
        return [.. pids.Where(pid => ours.Contains(pid) && Native.Signal(pid, UnixSignal.Stop))];
    }

    /// <summary>
    /// SIGTERM while still stopped, then SIGCONT, so each backend dies (57P01) before it can answer a
    /// request that was swallowed while it was dark.
    /// </summary>
    public Task TerminateAndThawBackendsAsync(IReadOnlyList<int> pids, CancellationToken ct = default)
    {
        if (pids.Count == 0)
        {
            return Task.CompletedTask;
        }
        ct.ThrowIfCancellationRequested();
        var ours = ProcessTree.Descendants(_postmasterPid).ToHashSet();
        foreach (var pid in pids.Where(ours.Contains))
        {
            Native.Signal(pid, UnixSignal.Term);
            Native.Signal(pid, UnixSignal.Cont);
        }
        return Task.CompletedTask;
    }

    public Task<string> ReadLogAsync(CancellationToken ct = default) => LogFile.ReadAsync(LogPath, 0, ct);

    /// <summary>When disposed untouched, this server goes to <paramref name="shelf"/> instead of stopping.</summary>
    internal void ShelveInto(ServerShelf shelf) => _shelf = shelf;

    /// <summary>
    /// Back to what a fresh copy of the template is, as far as a client can tell: every client session ended,
    /// <paramref name="dropSql"/> run in the application's database, and then nothing of anyone's left there
    /// (no relation or schema beyond the template's, no prepared transaction, no other database or role).
    /// False when anything is left: such a server is stopped, never reused.
    /// </summary>
    internal async Task<bool> ResetForReuseAsync(string dropSql, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = Database }.ConnectionString);
        await conn.OpenAsync(ct);
        // pg_terminate_backend waits (up to 5 s each) until the backend is gone, from PostgreSQL 14 on; older servers are polled.
        var wait = conn.PostgreSqlVersion.Major >= 14 ? ", 5000" : "";
        await BackendAdmin.ExecuteAsync(conn,
            $"SELECT pg_terminate_backend(pid{wait}) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()", ct);
        await Poll.UntilAsync(
            async () => await ReadAsync(conn, "SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
                r => r.GetInt32(0), ct) == 0,
            TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(20), () => $"client sessions of the server on port {Port} did not end", ct);
        await BackendAdmin.ExecuteAsync(conn, dropSql, ct);
        await using var check = new NpgsqlCommand(
            """
            SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg\_%temp\_%')
                 + (SELECT count(*) FROM pg_namespace
                     WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'public') AND nspname NOT LIKE 'pg\_%temp\_%')
                 + (SELECT count(*) FROM pg_prepared_xacts)
                 + (SELECT count(*) FROM pg_database WHERE datname NOT IN ('template1', 'postgres', current_database()))
                 + (SELECT count(*) FROM pg_roles WHERE rolname NOT LIKE 'pg\_%' AND rolname NOT IN (current_user, @app))
            """, conn);
        check.Parameters.AddWithValue("app", AppUser);
        return (long)(await check.ExecuteScalarAsync(ct))! == 0;
    }

    /// <summary>
    /// A new owner for this running server (taken off a shelf): the same process, port and directory under a new
    /// object, so whatever still holds the old one (a finished cell) can no longer stop it.
    /// </summary>
    internal ManagedServer Adopt()
    {
        var adopted = new ManagedServer(_binaries, _user, _registry, _dir, _options, _template)
        {
            Port = Port,
            Version = Version,
            _process = _process,
            _postmasterPid = _postmasterPid,
        };
        _process = null;
        _postmasterPid = 0;
        _disposed = true;
        return adopted;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        if (_shelf is { } shelf && !_altered && _process is { HasExited: false })
        {
            _shelf = null;
            if (await shelf.TryParkAsync(this))
            {
                _disposed = true; // the shelf adopts the running server, or stops it when the run ends
                return;
            }
        }
        _disposed = true;
        // Cleanup must happen even when the test's token is already cancelled: every wait here has its own bound.
        await _control.WaitAsync(CancellationToken.None);
        try
        {
            if (_process is not null)
            {
                // Immediate: the directory is deleted next, so the shutdown checkpoint a fast stop writes would be thrown away.
                try { await StopCoreAsync(StopMode.Immediate, CancellationToken.None); }
                catch (ServerSetupException) { /* StopCore already killed the tree */ }
            }
            LoopbackPorts.Release(Port);
            DeleteDirectory(_dir);
            _registry.Unregister(_dir);
        }
        finally { _control.Release(); }
    }

    private async Task StartCoreAsync(bool freshPort, CancellationToken ct)
    {
                const int attempts = 5;
        for (var attempt = 1; ; attempt++)
        {
            if (freshPort || Port == 0) Port = LoopbackPorts.Exchange(Port);
            var logOffset = LogFile.Length(LogPath);
            var process = ServerProcess.Start(_binaries.Postgres, Arguments(Port), LogPath, _user);
            // Registered before the readiness wait, so a start that is cancelled or times out is still killed at exit.
            _registry.Register(_dir, () => EmergencyStop(process.LaunchedPid));
            try
            {
                (_postmasterPid, Version) = await WaitReadyAsync(process, logOffset, ct);
                _process = process;
                _registry.RecordPid(_dir, _postmasterPid);
                return;
            }
            catch (Exception e)
            {
                await KillAndWaitAsync(process);
                if (e is PortInUseException && attempt < attempts)
                {
                    // Another process took the port between our probe and postgres's bind: try another one
                    // (or, on a restart, the same one a moment later).
                    if (!freshPort) await Task.Delay(200 * attempt, ct);
                    continue;
                }
                if (e is PortInUseException)
                    throw new ServerSetupException($"postgres could not bind {Host}:{Port} after {attempts} attempts:\n{LogFile.Tail(LogPath, 10, logOffset)}");
                throw;
            }
        }
    }

    private sealed class PortInUseException : Exception;

    private async Task<(int Pid, string Version)> WaitReadyAsync(ServerProcess process, long logOffset, CancellationToken ct)
    {
                var pidFile = Path.Combine(DataDir, "postmaster.pid");
        var waited = Stopwatch.StartNew();
        string phase = "postmaster.pid to report 'ready'";
        string? lastError = null;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                var log = await LogFile.ReadAsync(LogPath, logOffset, ct);
                if (log.Contains("could not bind", StringComparison.Ordinal) || log.Contains("Address already in use", StringComparison.Ordinal))
                    throw new PortInUseException();
                throw new ServerSetupException(
                    $"postgres exited during startup (exit code {process.ExitCode}), data directory {DataDir}. Log {LogPath}:\n{LogFile.Tail(LogPath, 25, logOffset)}");
            }
            if (waited.Elapsed > s_readyTimeout)
                throw new ServerSetupException(
                    $"postgres on {Host}:{Port} was not ready within {s_readyTimeout.TotalSeconds:0}s: waited for {phase}" +
                    $"{(lastError is null ? "" : $" (last error: {lastError})")}. Log {LogPath}:\n{LogFile.Tail(LogPath, 25, logOffset)}");

            // postmaster.pid line 8 turns "ready" once connections are accepted: a cheap poll before the first real connection.
            var lines = ReadLinesShared(pidFile);
            if (lines is { Length: >= 8 } && lines[7].Trim() == "ready" && int.TryParse(lines[0], out var pid))
            {
                phase = "a first successful query (SHOW server_version)";
                try
                {
                    await using var conn = await OpenAdminAsync(ct);
                    var version = await ReadAsync(conn, "SHOW server_version", r => r.GetString(0), ct);
                    return (pid, version);
                }
                catch (NpgsqlException e) { lastError = e.Message; }
            }
            await Task.Delay(10, ct);
        }
    }

    private static string[]? ReadLinesShared(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return new StreamReader(stream).ReadToEnd().Split('\n');
        }
        catch (IOException) { return null; }
    }

    private async Task StopCoreAsync(StopMode mode, CancellationToken ct)
    {
        if (_process is not { } process) return;
        ThawCore();
        // SIGTERM would be a *smart* shutdown, which waits for every client to leave.
        Native.Signal(_postmasterPid, mode == StopMode.Fast ? UnixSignal.Int : UnixSignal.Quit);
        var timeout = mode == StopMode.Fast ? s_fastStopTimeout : s_immediateStopTimeout;
        var exited = await process.WaitForExitAsync(timeout, ct);
        if (!exited) await KillAndWaitAsync(process);
        process.Dispose();
        _process = null;
        _postmasterPid = 0;
        _registry.Unregister(_dir);
        if (!exited)
            throw new ServerSetupException(
                $"postgres did not stop ({mode}) within {timeout.TotalSeconds:0}s and was killed. Log {LogPath}:\n{LogFile.Tail(LogPath)}");
    }

    private static async Task KillAndWaitAsync(ServerProcess process)
    {
        process.KillTree();
        await process.WaitForExitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        process.Dispose();
    }

    private void ThawCore()
    {
        if (!_frozen) return;
        foreach (var pid in ProcessTree.Descendants(_postmasterPid)) Native.Signal(pid, UnixSignal.Cont);
        Native.Signal(_postmasterPid, UnixSignal.Cont);
        _frozen = false;
    }

    // Runs from the process-exit handler: no async, short bounds.
    private static void EmergencyStop(int launchedPid) =>
        RunRegistry.StopTreesAsync([launchedPid], CancellationToken.None).GetAwaiter().GetResult();

    private IEnumerable<string> Arguments(int port)
    {
        // The data directory is on the command line, which is how the reaper recognises our postmasters.
        yield return "-D";
        yield return DataDir;
        yield return "-c";
        yield return $"port={port}";
        foreach (var (name, value) in Settings(Host, _options, _upstream is { } upstream ? upstream.ReplicationConninfo(Path.Combine(_dir, "pgpass")) : null))
        {
            yield return "-c";
            yield return $"{name}={value}";
        }
    }

    /// <summary>What a server started with <paramref name="options"/> runs with, port aside: two servers with the same key are interchangeable.</summary>
    internal static string ShelfKey(PostgresOptions options) =>
        string.Join("\n", Settings("127.0.0.1", options, primaryConninfo: null).Select(s => $"{s.Name}={s.Value}"));

    private static List<(string Name, string Value)> Settings(string host, PostgresOptions o, string? primaryConninfo)
    {
        var settings = new List<(string, string)>
        {
            ("listen_addresses", host),
            ("unix_socket_directories", ""), // TCP only: no socket path length limits, no /var/run permissions
            ("max_connections", o.MaxConnections.ToString()),
            // Small but enough for the connection count (postgres wants at least 2 buffers per connection).
            ("shared_buffers", $"{Math.Max(16, o.MaxConnections * 2 * 8 / 1024 + 8)}MB"),
            ("fsync", "off"), ("synchronous_commit", "off"), ("full_page_writes", "off"),
            ("wal_level", "minimal"), ("max_wal_senders", "0"),
            ("huge_pages", "off"),
            // No autovacuum launcher and no logical replication launcher: two fewer processes per server start (a
            // cell's tables live for seconds), and no background work competing with the cells for two cores.
            ("autovacuum", "off"), ("max_logical_replication_workers", "0"),
            ("logging_collector", "off"), ("log_destination", "stderr"),
            ("log_line_prefix", "%m [%p] %q%u@%d %a: "),
            ("log_connections", o.LogConnections ? "on" : "off"),
            ("log_disconnections", o.LogConnections ? "on" : "off"),
        };
        if (o.IdleSessionTimeout is { } idle) settings.Add(("idle_session_timeout", $"{(long)idle.TotalMilliseconds}ms"));
        if (o.IdleInTransactionSessionTimeout is { } idleTx) settings.Add(("idle_in_transaction_session_timeout", $"{(long)idleTx.TotalMilliseconds}ms"));
        settings.AddRange(o.Settings.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value)));
        if (primaryConninfo is not null)
        {
            settings.Add(("primary_conninfo", primaryConninfo));
        }
        return settings;
    }

    private Task<NpgsqlConnection> OpenAdminAsync(CancellationToken ct) => _admin.OpenAsync(ct);

    private static Task<T> ReadAsync<T>(NpgsqlConnection conn, string sql, Func<NpgsqlDataReader, T> read, CancellationToken ct) =>
        BackendAdmin.ReadAsync(conn, sql, read, ct);

    private void EnsureRunning(string what)
    {
        if (_process is null) throw new InvalidOperationException($"cannot {what}: the server is stopped (StartAsync first)");
    }

    private void EnsureNotFrozen(string what)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_frozen) throw new InvalidOperationException($"cannot {what}: the server is frozen (ThawAsync first)");
    }

    private static void DeleteDirectory(string dir)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
                return;
            }
            // A just-killed backend may still be removing its temp files; a second pass gets the rest.
            catch (IOException) when (attempt < 3) { }
        }
    }
}
