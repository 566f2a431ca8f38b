using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Chaos.Harness.Servers;
using Chaos.Harness.Servers.Internal;
using Npgsql;

namespace Chaos.Harness.Poolers;

/// <summary>
/// A PgBouncer in front of a server (managed or attached), run as a child process like the server:
/// <code>
///   app --(scram, app role)--> PgBouncer 127.0.0.1:Port --(scram, app role)--> upstream (the server, or a fault proxy)
/// </code>
/// The userlist holds the app role's plain password, which lets PgBouncer 1.18 answer the client's
/// SCRAM exchange and run its own against a SCRAM-only server.
/// </summary>
internal sealed class PgBouncer : IAsyncDisposable
{
    private static readonly TimeSpan s_readyTimeout = TimeSpan.FromSeconds(30);
    private const string AdminRole = "chaos_pgb_admin";

    private readonly ServerUser _user;
    private readonly RunRegistry _registry;
    private readonly string _dir;
    private readonly string _adminPassword;
    private readonly IPostgresServer _server;
    private readonly string _psql;
    private ServerProcess? _process;
    private bool _disposed;

    /// <summary>Where PgBouncer listens: loopback, or the address of the database host it runs inside.</summary>
    private string _listen = "127.0.0.1";

    private PgBouncer(IPostgresServer server, ServerUser user, RunRegistry registry, string dir, string adminPassword, string psql)
    {
        _psql = psql;
        _server = server;
        _user = user;
        _registry = registry;
        _dir = dir;
        _adminPassword = adminPassword;
    }

    public int Port { get; private set; }

    /// <summary>PgBouncer's version, e.g. "1.18.0".</summary>
    public string Version { get; private set; } = "";

    /// <summary>The PgBouncer log, kept until the next run reaps this run.</summary>
    public string LogPath => _dir + ".log";

    /// <summary>Through PgBouncer to the server's app database as the app role. Pool and reset settings are the profile's business.</summary>
    public string AppConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = _listen, Port = Port, Database = _server.Database, Username = _server.AppUser, Password = _server.AppPassword,
    }.ConnectionString;

    internal int Pid => _process?.LaunchedPid ?? 0;
    internal string Dir => _dir;

    public static Task<PgBouncer> StartAsync(IPostgresServer server, PgBouncerOptions? options = null, CancellationToken ct = default) =>
        StartAsync(server, options, Environment.GetEnvironmentVariable, ct);

    /// <summary>
    /// PgBouncer inside <paramref name="host"/> (the kernel network path), beside its server: it listens on the
    /// host's address, so the application's connections to it cross the link, and reaches the server on the
    /// host's own address without leaving the namespace (the host's rules act on its link only).
    /// </summary>
    internal static Task<PgBouncer> StartInsideAsync(Network.Kernel.DatabaseHost host, IPostgresServer server, PgBouncerOptions options, CancellationToken ct) =>
        StartAsync(server, options, Environment.GetEnvironmentVariable, ct, host);

    internal static async Task<PgBouncer> StartAsync(IPostgresServer server, PgBouncerOptions? options, Func<string, string?> env, CancellationToken ct,
        Network.Kernel.DatabaseHost? host = null)
    {
        options ??= new PgBouncerOptions();
        if (OperatingSystem.IsWindows())
            throw new ServerSetupException("The harness runs PgBouncer on Linux or macOS only.");
        var exe = PgBouncerBinary.Locate(env);
        var version = PgBouncerBinary.Version(exe);
        var user = ServerUser.Detect(env);
        var registry = await RunRegistry.GetAsync(ct);
        var dir = registry.NewServerDir("pgbouncer", user);
        var launcher = host is null ? user : user with { CommandPrefix = [.. host.CommandPrefix, .. user.CommandPrefix] };
        var bouncer = new PgBouncer(server, launcher, registry, dir, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), PsqlBinary.Locate(env))
        {
            _listen = host?.Address.ToString() ?? "127.0.0.1",
        };
        try
        {
            await bouncer.StartCoreAsync(exe, options, ct);
            bouncer.Version = version;
            return bouncer;
        }
        catch
        {
            await bouncer.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// SHOW POOLS / CLIENTS / SERVERS / STATS ... on the admin console, one dictionary per row (column name to
    /// value: a long when the value is an integer, null when empty, else the text).
    /// The admin console speaks only the simple query protocol, which Npgsql never uses, so this goes through psql.
    /// </summary>
    public async Task<IReadOnlyList<IReadOnlyDictionary<string, object?>>> ShowAsync(string what, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (what.Length == 0 || !what.All(c => char.IsAsciiLetter(c) || c == '_'))
            throw new ArgumentException($"'{what}' is not a SHOW subject (POOLS, CLIENTS, SERVERS, STATS...)", nameof(what));
        var psi = new ProcessStartInfo(_psql)
        {
            ArgumentList = { "-X", "-q", "--csv", "-h", _listen, "-p", Port.ToString(), "-U", AdminRole, "-d", "pgbouncer", "-c", $"SHOW {what.ToUpperInvariant()}" },
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        // The user's PG* settings (PGSSLMODE, PGSERVICE...) must not redirect the harness's own admin query.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("PG", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(key);
        psi.Environment["PGPASSWORD"] = _adminPassword;
        psi.Environment["PGCONNECT_TIMEOUT"] = "10";
        using var psql = Process.Start(psi) ?? throw new ServerSetupException($"could not run {_psql}");
        var stdout = psql.StandardOutput.ReadToEndAsync(ct);
        var stderr = psql.StandardError.ReadToEndAsync(ct);
        using (var bound = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            bound.CancelAfter(TimeSpan.FromSeconds(30));
            try { await psql.WaitForExitAsync(bound.Token); }
            catch (OperationCanceledException)
            {
                psql.Kill();
                ct.ThrowIfCancellationRequested();
                throw new TimeoutException($"psql SHOW {what} on the PgBouncer admin console (port {Port}) did not answer within 30s");
            }
        }
        if (psql.ExitCode != 0)
            throw new InvalidOperationException($"SHOW {what} on the PgBouncer admin console failed: {(await stderr).Trim()}");
        return Csv.Parse(await stdout);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (_process is { } process)
        {
            // SIGTERM is PgBouncer's immediate shutdown (SIGINT would wait for clients to leave).
            Native.Signal(process.LaunchedPid, UnixSignal.Term);
            if (!await process.WaitForExitAsync(TimeSpan.FromSeconds(5), CancellationToken.None))
            {
                process.KillTree();
                await process.WaitForExitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
            }
            process.Dispose();
            _process = null;
        }

        LoopbackPorts.Release(Port);
        try { Directory.Delete(_dir, recursive: true); }
        catch (DirectoryNotFoundException) { }
        _registry.Unregister(_dir);
    }

    private async Task StartCoreAsync(string exe, PgBouncerOptions options, CancellationToken ct)
    {
        const int attempts = 5;
        var ini = Path.Combine(_dir, "pgbouncer.ini");
        for (var attempt = 1; ; attempt++)
        {
            Port = LoopbackPorts.Exchange(Port);
            await WriteConfigAsync(ini, options, ct);
            var logOffset = LogFile.Length(LogPath);
            // The ini path (inside the run directory) is on the command line: that is how the reaper recognises us.
            var process = ServerProcess.Start(exe, [ini], LogPath, _user);
            _registry.Register(_dir, () => RunRegistry.StopTreesAsync([process.LaunchedPid], CancellationToken.None).GetAwaiter().GetResult());
            _registry.RecordPid(_dir, process.LaunchedPid);
            try
            {
                await WaitListeningAsync(process, logOffset, ct);
                _process = process;
                return;
            }
            catch (Exception e)
            {
                process.KillTree();
                await process.WaitForExitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
                process.Dispose();
                if (e is PortInUseException && attempt < attempts) continue;
                throw;
            }
        }
    }

    private sealed class PortInUseException : Exception;

    private async Task WaitListeningAsync(ServerProcess process, long logOffset, CancellationToken ct)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                var log = await LogFile.ReadAsync(LogPath, logOffset, ct);
                if (log.Contains("Address already in use", StringComparison.Ordinal)) throw new PortInUseException();
                throw new ServerSetupException(
                    $"pgbouncer exited during startup (exit code {process.ExitCode}). Log {LogPath}:\n{LogFile.Tail(LogPath, 20, logOffset)}");
            }
            if (waited.Elapsed > s_readyTimeout)
                throw new ServerSetupException(
                    $"pgbouncer did not listen on {_listen}:{Port} within {s_readyTimeout.TotalSeconds:0}s. Log {LogPath}:\n{LogFile.Tail(LogPath, 20, logOffset)}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(_listen, Port, ct);
                return;
            }
            catch (SocketException) { }
            await Task.Delay(10, ct);
        }
    }

    private async Task WriteConfigAsync(string ini, PgBouncerOptions o, CancellationToken ct)
    {
        var userlist = Path.Combine(_dir, "userlist.txt");
        await File.WriteAllTextAsync(userlist,
            $"\"{_server.AppUser}\" \"{_server.AppPassword}\"\n\"{AdminRole}\" \"{_adminPassword}\"\n", ct);
        _user.Own(userlist);

        var upstreamHost = o.UpstreamHost ?? _server.Host;
        var upstreamPort = o.UpstreamPort ?? _server.Port;
        var settings = new Dictionary<string, string>
        {
            ["listen_addr"] = _listen,
            ["listen_port"] = Port.ToString(),
            ["unix_socket_dir"] = "",
            ["auth_type"] = "scram-sha-256",
            ["auth_file"] = userlist,
            ["admin_users"] = AdminRole,
            ["pool_mode"] = o.Mode == PoolMode.Transaction ? "transaction" : "session",
            ["default_pool_size"] = o.DefaultPoolSize.ToString(),
            ["max_client_conn"] = o.MaxClientConn.ToString(),
            // Npgsql sends these at startup; PgBouncer would refuse the connection over an unknown parameter.
            ["ignore_startup_parameters"] = "extra_float_digits,options",
            ["log_connections"] = "1",
            ["log_disconnections"] = "1",
        };
        if (o.ServerLifetime is { } lifetime) settings["server_lifetime"] = Seconds(lifetime);
        if (o.ServerIdleTimeout is { } serverIdle) settings["server_idle_timeout"] = Seconds(serverIdle);
        if (o.ClientIdleTimeout is { } clientIdle) settings["client_idle_timeout"] = Seconds(clientIdle);
        foreach (var (key, value) in o.Settings) settings[key] = value;

        var text = new StringBuilder()
            .AppendLine("[databases]")
            .AppendLine($"{_server.Database} = host={upstreamHost} port={upstreamPort} dbname={_server.Database}")
            .AppendLine("[pgbouncer]");
        foreach (var (key, value) in settings) text.AppendLine($"{key} = {value}");
        await File.WriteAllTextAsync(ini, text.ToString(), ct);
        _user.Own(ini);
    }

    // PgBouncer 1.18 reads these as seconds and accepts fractions.
    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

}
