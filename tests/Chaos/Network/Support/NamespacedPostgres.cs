using System.Diagnostics;
using Chaos.Harness.Network.Kernel;
using Chaos.Harness.Servers;
using Chaos.Harness.Servers.Internal;
using Npgsql;

namespace Chaos.Tests.Network;

/// <summary>
/// A real PostgreSQL inside a database host, listening on the host's address only: a copy of the
/// harness's template cluster, started through the host's command prefix in front of the usual
/// launcher (so it runs as the server user, logs like any other server, and is reaped like one).
/// Test support until the cluster itself can be told to run inside a host.
/// </summary>
public sealed class NamespacedPostgres : IAsyncDisposable
{
    public const int Port = 5432;

    private readonly RunRegistry _registry;
    private readonly string _dir;
    private readonly ServerProcess _process;
    private readonly Template _template;

    private NamespacedPostgres(DatabaseHost host, RunRegistry registry, string dir, ServerProcess process, Template template)
    {
        Host = host;
        _registry = registry;
        _dir = dir;
        _process = process;
        _template = template;
    }

    internal DatabaseHost Host { get; }

    public string LogPath => _dir + ".log";

    /// <summary>The app role's connection string; <paramref name="extra"/> (e.g. "Tcp Keepalive=true") is appended.</summary>
    public string ConnectionString(string applicationName, string extra = "") =>
        new NpgsqlConnectionStringBuilder($"{extra}")
        {
            Host = Host.Address.ToString(), Port = Port, Database = _template.Database,
            Username = _template.AppUser, Password = _template.AppPassword, ApplicationName = applicationName,
            // One physical connection per NpgsqlConnection: the measurements are about sockets, not the pool.
            Pooling = false,
        }.ConnectionString;

    internal static async Task<NamespacedPostgres> StartAsync(DatabaseHost host, CancellationToken ct)
    {
        var user = ServerUser.Detect(Environment.GetEnvironmentVariable);
        var binaries = PgBinaries.Locate(Environment.GetEnvironmentVariable);
        var template = await TemplateCache.GetAsync(binaries, user, root: null, ct);
        var registry = await RunRegistry.GetAsync(ct);
        var dir = registry.NewServerDir("pg", user);
        var data = Path.Combine(dir, "data");
        await CopyAsync(template.DataDir, data, ct);
        // The template trusts loopback only; the application now arrives from its end of the veth.
        await File.AppendAllTextAsync(Path.Combine(data, "pg_hba.conf"), $"\nhost all all {host.ApplicationAddress}/32 scram-sha-256\n", ct);

        string[] args =
        [
            "-D", data,
            "-c", $"listen_addresses={host.Address}", "-c", $"port={Port}", "-c", "unix_socket_directories=",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=20", "-c", "shared_buffers=16MB", "-c", "huge_pages=off",
            "-c", "logging_collector=off", "-c", "log_connections=on", "-c", "log_disconnections=on",
        ];
        var inside = user with { CommandPrefix = [.. host.CommandPrefix, .. user.CommandPrefix] };
        var process = ServerProcess.Start(binaries.Postgres, args, dir + ".log", inside);
        registry.Register(dir, () => process.KillTree());
        registry.RecordPid(dir, process.LaunchedPid);
        var server = new NamespacedPostgres(host, registry, dir, process, template);
        try
        {
            await server.WaitReadyAsync(ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private async Task WaitReadyAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        string? lastError = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (_process.HasExited)
                throw new ServerSetupException($"postgres inside {Host} exited during startup:\n{LogFile.Tail(LogPath)}");
            try
            {
                await using var conn = new NpgsqlConnection(ConnectionString("readiness", "Timeout=2"));
                await conn.OpenAsync(ct);
                return;
            }
            catch (NpgsqlException e) { lastError = e.Message; }
            await Task.Delay(50, ct);
        }
        throw new ServerSetupException($"postgres inside {Host} was not ready within 30s (last error: {lastError}):\n{LogFile.Tail(LogPath)}");
    }

    private static async Task CopyAsync(string from, string to, CancellationToken ct)
    {
        // cp -a keeps the server user's ownership and the 0700 mode postgres insists on.
        using var cp = Process.Start(new ProcessStartInfo("cp") { ArgumentList = { "-a", from, to }, RedirectStandardError = true, UseShellExecute = false })!;
        var stderr = await cp.StandardError.ReadToEndAsync(ct);
        await cp.WaitForExitAsync(ct);
        if (cp.ExitCode != 0) throw new ServerSetupException($"copying the template {from} to {to} failed: {stderr}");
    }

    public async ValueTask DisposeAsync()
    {
        // Fast shutdown; whatever is left after the bound is killed. A partition does not slow this down:
        // signals do not cross the network.
        Native.Signal(_process.LaunchedPid, UnixSignal.Int);
        if (!await _process.WaitForExitAsync(TimeSpan.FromSeconds(10), CancellationToken.None))
        {
            _process.KillTree();
            await _process.WaitForExitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        }
        _process.Dispose();
        _registry.Unregister(_dir);
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { /* the next run reaps it */ }
    }
}
