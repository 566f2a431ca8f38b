using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Chaos.Harness.Servers.Internal;
using Npgsql;

namespace Chaos.Harness.Servers;

/// <summary>
/// A PostgreSQL server for one test or scenario: either managed (started from the machine's binaries,
/// a fresh copy of a cached template, under the harness's full control) or attached (CHAOS_PG_ADMIN:
/// a server someone else runs, where the harness only creates its own role and database).
/// </summary>
public sealed partial class PostgresCluster : IAsyncDisposable
{
    private static readonly TimeSpan s_readyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_fastStopTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_immediateStopTimeout = TimeSpan.FromSeconds(15);
    private const string AdminApplicationName = "chaos-admin";

    private readonly SemaphoreSlim _control = new(1, 1);
    private readonly Managed? _managed;
    private readonly string _adminUser;
    private readonly string _adminPassword;
    private readonly NpgsqlConnectionStringBuilder? _attachedAdmin;
    private ServerProcess? _process;
    private int _postmasterPid;
    private bool _frozen;
    private bool _disposed;

    private sealed record Managed(PgBinaries Binaries, ServerUser User, RunRegistry Registry, string Dir, string LogPath, PostgresOptions Options)
    {
        public string DataDir => Path.Combine(Dir, "data");
    }

    private PostgresCluster(Managed managed, Template template)
    {
        _managed = managed;
        Host = "127.0.0.1";
        Database = template.Database;
        AppUser = template.AppUser;
        AppPassword = template.AppPassword;
        _adminUser = template.AdminUser;
        _adminPassword = template.AdminPassword;
    }

    private PostgresCluster(NpgsqlConnectionStringBuilder admin, string database, string appUser, string appPassword)
    {
        _attachedAdmin = admin;
        Host = admin.Host ?? "127.0.0.1";
        Port = admin.Port;
        Database = database;
        AppUser = appUser;
        AppPassword = appPassword;
        _adminUser = admin.Username ?? "";
        _adminPassword = admin.Password ?? "";
    }

    public bool IsManaged => _managed is not null;
    public string Host { get; }
    public int Port { get; private set; }
    public string Database { get; }
    public string AppUser { get; }
    public string AppPassword { get; }
    public string ServerVersion { get; private set; } = "";

    /// <summary>The server log (managed only). It outlives the cluster until the next run reaps this run.</summary>
    public string? LogPath => _managed?.LogPath;

    /// <summary>Superuser, database postgres, no pooling: for the harness's own admin actions.</summary>
    public string AdminConnectionString => _attachedAdmin is { } attached
        ? attached.ConnectionString
        : new NpgsqlConnectionStringBuilder
        {
            Host = Host, Port = Port, Database = "postgres", Username = _adminUser, Password = _adminPassword,
            Pooling = false, Timeout = 10, CommandTimeout = 30, ApplicationName = AdminApplicationName,
        }.ConnectionString;

    /// <summary>The application role on the application database; pool settings are left to the caller (the profile).</summary>
    public string AppConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = Host, Port = Port, Database = Database, Username = AppUser, Password = AppPassword,
        SslMode = _attachedAdmin?.SslMode ?? SslMode.Disable,
    }.ConnectionString;

    internal string AdminUser => _adminUser;
    internal string AdminPassword => _adminPassword;
    internal int PostmasterPid => _postmasterPid;
    internal string? DataDir => _managed?.DataDir;
    internal string? Dir => _managed?.Dir;

    /// <summary>Starts a managed cluster, or attaches to CHAOS_PG_ADMIN when it is set.</summary>
    public static Task<PostgresCluster> CreateAsync(PostgresOptions? options = null, CancellationToken ct = default) =>
        CreateAsync(options, Environment.GetEnvironmentVariable, templateRoot: null, ct);

    internal static async Task<PostgresCluster> CreateAsync(
        PostgresOptions? options, Func<string, string?> env, string? templateRoot, CancellationToken ct)
    {
        options ??= new PostgresOptions();
        if (env("CHAOS_PG_ADMIN") is { Length: > 0 } adminConnectionString)
            return await AttachAsync(adminConnectionString, options, ct);
        if (OperatingSystem.IsWindows())
            throw new ServerSetupException(
                "Managed servers need Linux or macOS (signals, /proc). On Windows set CHAOS_PG_ADMIN to a superuser connection string of a running server.");

        var binaries = PgBinaries.Locate(env);
        var user = ServerUser.Detect(env);
        var registry = await RunRegistry.GetAsync(ct);
        var template = await TemplateCache.GetAsync(binaries, user, templateRoot, ct);
        var dir = registry.NewServerDir("pg", user);
        var cluster = new PostgresCluster(new Managed(binaries, user, registry, dir, dir + ".log", options), template);
        try
        {
            await CopyAsync(template.DataDir, cluster._managed!.DataDir, ct);
            await cluster.StartCoreAsync(freshPort: true, ct);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
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

    public static Task<PostgresCluster> AttachAsync(string adminConnectionString, CancellationToken ct = default) =>
        AttachAsync(adminConnectionString, options: null, ct);

    internal static async Task<PostgresCluster> AttachAsync(string adminConnectionString, PostgresOptions? options, CancellationToken ct)
    {
        options ??= new PostgresOptions();
        var admin = new NpgsqlConnectionStringBuilder(adminConnectionString) { Pooling = false, ApplicationName = AdminApplicationName };
        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var (role, database) = ($"chaos_app_{suffix}", $"chaos_{suffix}");
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

        NpgsqlConnection conn;
        try
        {
            conn = new NpgsqlConnection(admin.ConnectionString);
            await conn.OpenAsync(ct);
        }
        catch (NpgsqlException e)
        {
            throw new ServerSetupException(
                $"CHAOS_PG_ADMIN is set, but connecting to {admin.Host}:{admin.Port} as '{admin.Username}' failed: {e.Message}. " +
                "Fix the connection string (a superuser on a reachable server) or unset CHAOS_PG_ADMIN to let the harness start its own server.", e);
        }

        await using (conn)
        {
            var (isSuper, maxConnections) = await ReadAsync(conn, "SELECT rolsuper, current_setting('max_connections')::int FROM pg_roles WHERE rolname = current_user",
                r => (r.GetBoolean(0), r.GetInt32(1)), ct);
            if (!isSuper)
                throw new ServerSetupException(
                    $"CHAOS_PG_ADMIN connects as '{admin.Username}', which is not a superuser; the harness needs one to create its role and database and to terminate backends.");
            // The default cannot be told from an explicit 100, so only a non-default request is refused.
            if (options.MaxConnections != new PostgresOptions().MaxConnections && options.MaxConnections != maxConnections)
                throw new NeedsManagedServerException($"max_connections={options.MaxConnections} (the attached server has {maxConnections})");

            var roleSettings = new List<(string Name, string Value)>();
            if (options.IdleSessionTimeout is { } idle) roleSettings.Add(("idle_session_timeout", $"{(long)idle.TotalMilliseconds}ms"));
            if (options.IdleInTransactionSessionTimeout is { } idleTx) roleSettings.Add(("idle_in_transaction_session_timeout", $"{(long)idleTx.TotalMilliseconds}ms"));
            roleSettings.AddRange(options.Settings.Select(kv => (kv.Key, kv.Value)));

            await ExecuteAsync(conn, "SET password_encryption = 'scram-sha-256'", ct);
            await ExecuteAsync(conn, $"CREATE ROLE {role} LOGIN PASSWORD '{password}'", ct);
            var cluster = new PostgresCluster(admin, database, role, password);
            try
            {
                await ExecuteAsync(conn, $"CREATE DATABASE {database} OWNER {role}", ct);
                // Settings a managed server gets in postgresql.conf become role defaults here: they apply to the app's sessions.
                foreach (var (name, value) in roleSettings)
                {
                    try { await ExecuteAsync(conn, $"ALTER ROLE {role} SET {name} = '{value.Replace("'", "''")}'", ct); }
                    catch (PostgresException e)
                    {
                        throw new NeedsManagedServerException($"setting {name}={value} (the attached server refused it as a role default: {e.MessageText})");
                    }
                }
                cluster.ServerVersion = await ReadAsync(conn, "SHOW server_version", r => r.GetString(0), ct);
                return cluster;
            }
            catch
            {
                await cluster.DisposeAsync();
                throw;
            }
        }
    }

    public async Task StopAsync(StopMode mode, CancellationToken ct = default)
    {
        EnsureManaged($"stop ({mode})");
        await _control.WaitAsync(ct);
        try { await StopCoreAsync(mode, ct); }
        finally { _control.Release(); }
    }

    public async Task StartAsync(CancellationToken ct = default)
    {
        EnsureManaged("start");
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
        EnsureManaged($"restart ({mode})");
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
        EnsureManaged("freeze");
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
        EnsureManaged("thaw");
        await _control.WaitAsync(ct);
        try { ThawCore(); }
        finally { _control.Release(); }
    }

    /// <summary>pg_terminate_backend for every matching client backend of <see cref="Database"/>; returns how many were terminated.</summary>
    public async Task<int> TerminateBackendsAsync(BackendSelector selector, CancellationToken ct = default)
    {
        EnsureNotFrozen("terminate backends");
        await using var conn = await OpenAdminAsync(ct);
        // From 14 on, pg_terminate_backend can wait until the backend is gone, so callers see its effect at once.
        var wait = conn.PostgreSqlVersion.Major >= 14 ? ", 5000" : "";
        await using var cmd = new NpgsqlCommand(
            $"SELECT count(*) FILTER (WHERE pg_terminate_backend(pid{wait}))::int FROM pg_stat_activity WHERE {Where(selector)}", conn);
        AddParameters(cmd, selector);
        return (int)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Client backends of <see cref="Database"/>, from pg_stat_activity; the harness's admin session is not among them.</summary>
    public async Task<ActivitySnapshot> GetActivityAsync(CancellationToken ct = default)
    {
        EnsureNotFrozen("read pg_stat_activity");
        await using var conn = await OpenAdminAsync(ct);
        await using var cmd = new NpgsqlCommand(
            "SELECT pid, coalesce(application_name, ''), coalesce(state, ''), " +
            "extract(epoch FROM clock_timestamp() - backend_start)::float8 " +
            $"FROM pg_stat_activity WHERE {Where(BackendSelector.All)} ORDER BY backend_start", conn);
        AddParameters(cmd, BackendSelector.All);
        var rows = new List<BackendActivity>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add(new BackendActivity(reader.GetInt32(0), reader.GetString(1), reader.GetString(2), TimeSpan.FromSeconds(reader.GetDouble(3))));
        return new ActivitySnapshot(rows);
    }

    public async Task<string> ReadLogAsync(CancellationToken ct = default) =>
        _managed is { } managed
            ? await LogFile.ReadAsync(managed.LogPath, 0, ct)
            : $"(attached to {Host}:{Port}: its server log is not available to the harness)";

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (_managed is { } managed)
        {
            // Cleanup must happen even when the test's token is already cancelled: every wait here has its own bound.
            await _control.WaitAsync(CancellationToken.None);
            try
            {
                if (_process is not null)
                {
                    try { await StopCoreAsync(StopMode.Fast, CancellationToken.None); }
                    catch (ServerSetupException) { /* StopCore already killed the tree */ }
                }
                LoopbackPorts.Release(Port);
                DeleteDirectory(managed.Dir);
                managed.Registry.Unregister(managed.Dir);
            }
            finally { _control.Release(); }
        }
        else if (_attachedAdmin is { } admin)
        {
            try
            {
                await using var conn = new NpgsqlConnection(admin.ConnectionString);
                await conn.OpenAsync();
                var force = conn.PostgreSqlVersion.Major >= 13 ? " WITH (FORCE)" : "";
                await ExecuteAsync(conn, $"DROP DATABASE IF EXISTS {Database}{force}", CancellationToken.None);
                await ExecuteAsync(conn, $"DROP ROLE IF EXISTS {AppUser}", CancellationToken.None);
            }
            catch (NpgsqlException) { /* the attached server went away; its owner cleans up */ }
        }
    }

    private async Task StartCoreAsync(bool freshPort, CancellationToken ct)
    {
        var managed = _managed!;
        const int attempts = 5;
        for (var attempt = 1; ; attempt++)
        {
            if (freshPort || Port == 0) Port = LoopbackPorts.Exchange(Port);
            var logOffset = LogFile.Length(managed.LogPath);
            var process = ServerProcess.Start(managed.Binaries.Postgres, Arguments(managed, Port), managed.LogPath, managed.User);
            // Registered before the readiness wait, so a start that is cancelled or times out is still killed at exit.
            managed.Registry.Register(managed.Dir, () => EmergencyStop(process.LaunchedPid));
            try
            {
                (_postmasterPid, ServerVersion) = await WaitReadyAsync(process, logOffset, ct);
                _process = process;
                managed.Registry.RecordPid(managed.Dir, _postmasterPid);
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
                    throw new ServerSetupException($"postgres could not bind 127.0.0.1:{Port} after {attempts} attempts:\n{LogFile.Tail(managed.LogPath, 10, logOffset)}");
                throw;
            }
        }
    }

    private sealed class PortInUseException : Exception;

    private async Task<(int Pid, string Version)> WaitReadyAsync(ServerProcess process, long logOffset, CancellationToken ct)
    {
        var managed = _managed!;
        var pidFile = Path.Combine(managed.DataDir, "postmaster.pid");
        var waited = Stopwatch.StartNew();
        string phase = "postmaster.pid to report 'ready'";
        string? lastError = null;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                var log = await LogFile.ReadAsync(managed.LogPath, logOffset, ct);
                if (log.Contains("could not bind", StringComparison.Ordinal) || log.Contains("Address already in use", StringComparison.Ordinal))
                    throw new PortInUseException();
                throw new ServerSetupException(
                    $"postgres exited during startup (exit code {process.ExitCode}), data directory {managed.DataDir}. Log {managed.LogPath}:\n{LogFile.Tail(managed.LogPath, 25, logOffset)}");
            }
            if (waited.Elapsed > s_readyTimeout)
                throw new ServerSetupException(
                    $"postgres on 127.0.0.1:{Port} was not ready within {s_readyTimeout.TotalSeconds:0}s: waited for {phase}" +
                    $"{(lastError is null ? "" : $" (last error: {lastError})")}. Log {managed.LogPath}:\n{LogFile.Tail(managed.LogPath, 25, logOffset)}");

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
        _managed!.Registry.Unregister(_managed.Dir);
        if (!exited)
            throw new ServerSetupException(
                $"postgres did not stop ({mode}) within {timeout.TotalSeconds:0}s and was killed. Log {_managed.LogPath}:\n{LogFile.Tail(_managed.LogPath)}");
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

    private static IEnumerable<string> Arguments(Managed managed, int port)
    {
        var o = managed.Options;
        var settings = new List<(string, string)>
        {
            ("listen_addresses", "127.0.0.1"),
            ("port", port.ToString()),
            ("unix_socket_directories", ""), // TCP only: no socket path length limits, no /var/run permissions
            ("max_connections", o.MaxConnections.ToString()),
            // Small but enough for the connection count (postgres wants at least 2 buffers per connection).
            ("shared_buffers", $"{Math.Max(16, o.MaxConnections * 2 * 8 / 1024 + 8)}MB"),
            ("fsync", "off"), ("synchronous_commit", "off"), ("full_page_writes", "off"),
            ("wal_level", "minimal"), ("max_wal_senders", "0"),
            ("huge_pages", "off"),
            ("logging_collector", "off"), ("log_destination", "stderr"),
            ("log_line_prefix", "%m [%p] %q%u@%d %a: "),
            ("log_connections", o.LogConnections ? "on" : "off"),
            ("log_disconnections", o.LogConnections ? "on" : "off"),
        };
        if (o.IdleSessionTimeout is { } idle) settings.Add(("idle_session_timeout", $"{(long)idle.TotalMilliseconds}ms"));
        if (o.IdleInTransactionSessionTimeout is { } idleTx) settings.Add(("idle_in_transaction_session_timeout", $"{(long)idleTx.TotalMilliseconds}ms"));
        settings.AddRange(o.Settings.Select(kv => (kv.Key, kv.Value)));

        // The data directory is on the command line, which is how the reaper recognises our postmasters.
        yield return "-D";
        yield return managed.DataDir;
        foreach (var (name, value) in settings)
        {
            yield return "-c";
            yield return $"{name}={value}";
        }
    }

    private string Where(BackendSelector s)
    {
        var where = "backend_type = 'client backend' AND pid <> pg_backend_pid() AND datname = @db";
        if (s.ApplicationName is not null) where += " AND application_name = @app";
        if (s.State is not null) where += " AND state = @state";
        if (s.OlderThan is not null) where += " AND backend_start <= clock_timestamp() - @age";
        if (s.Pid is not null) where += " AND pid = @pid";
        return where;
    }

    private void AddParameters(NpgsqlCommand cmd, BackendSelector s)
    {
        cmd.Parameters.AddWithValue("db", Database);
        if (s.ApplicationName is { } app) cmd.Parameters.AddWithValue("app", app);
        if (s.State is { } state) cmd.Parameters.AddWithValue("state", state);
        if (s.OlderThan is { } age) cmd.Parameters.AddWithValue("age", age);
        if (s.Pid is { } pid) cmd.Parameters.AddWithValue("pid", pid);
    }

    private async Task<NpgsqlConnection> OpenAdminAsync(CancellationToken ct)
    {
        var conn = new NpgsqlConnection(AdminConnectionString);
        try
        {
            await conn.OpenAsync(ct);
            return conn;
        }
        catch
        {
            await conn.DisposeAsync();
            throw;
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<T> ReadAsync<T>(NpgsqlConnection conn, string sql, Func<NpgsqlDataReader, T> read, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) throw new InvalidOperationException($"no row from: {sql}");
        return read(reader);
    }

    private Managed EnsureManaged(string what)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _managed ?? throw new NeedsManagedServerException(what);
    }

    private void EnsureRunning(string what)
    {
        if (_process is null) throw new InvalidOperationException($"cannot {what}: the cluster is stopped (StartAsync first)");
    }

    private void EnsureNotFrozen(string what)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_frozen) throw new InvalidOperationException($"cannot {what}: the cluster is frozen (ThawAsync first)");
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
