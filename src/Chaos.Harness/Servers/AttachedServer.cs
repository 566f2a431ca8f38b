using System.Security.Cryptography;
using Chaos.Harness.Servers.Internal;
using Npgsql;

namespace Chaos.Harness.Servers;

/// <summary>
/// A server someone else runs (CHAOS_PG_ADMIN: a container, a staging box). The harness only creates a
/// uniquely named role and database there (dropped on dispose) and administers backends: it cannot
/// stop, freeze or reconfigure the server, so it has none of those capabilities.
/// </summary>
internal sealed class AttachedServer : IPostgresServer
{
    private const string AdminApplicationName = "chaos-admin";

    private readonly NpgsqlConnectionStringBuilder _admin;
    private readonly BackendAdmin _backends;
    private bool _disposed;

    private AttachedServer(NpgsqlConnectionStringBuilder admin, string database, string appUser, string appPassword)
    {
        _admin = admin;
        Host = admin.Host ?? "127.0.0.1";
        Port = admin.Port;
        Database = database;
        AppUser = appUser;
        AppPassword = appPassword;
        _backends = new BackendAdmin(() => _admin.ConnectionString, database);
    }

    public string Host { get; }
    public int Port { get; }
    public string Database { get; }
    public string AppUser { get; }
    public string AppPassword { get; }
    public string Version { get; private set; } = "";
    public Capability Capabilities => Capability.None;
    public string AdminConnectionString => _admin.ConnectionString;

    public string AppConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = Host, Port = Port, Database = Database, Username = AppUser, Password = AppPassword, SslMode = _admin.SslMode,
    }.ConnectionString;

    /// <summary>
    /// Creates the harness's role and database on the server <paramref name="adminConnectionString"/> (a
    /// superuser) points at. Settings a managed server gets in postgresql.conf become role defaults here;
    /// what only a managed server can honour (max_connections) is refused with <see cref="NeedsManagedServerException"/>.
    /// </summary>
    public static async Task<AttachedServer> AttachAsync(string adminConnectionString, PostgresOptions? options = null, CancellationToken ct = default)
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
            var (isSuper, maxConnections) = await BackendAdmin.ReadAsync(conn, "SELECT rolsuper, current_setting('max_connections')::int FROM pg_roles WHERE rolname = current_user",
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

            await BackendAdmin.ExecuteAsync(conn, "SET password_encryption = 'scram-sha-256'", ct);
            await BackendAdmin.ExecuteAsync(conn, $"CREATE ROLE {role} LOGIN PASSWORD '{password}'", ct);
            var server = new AttachedServer(admin, database, role, password);
            try
            {
                await BackendAdmin.ExecuteAsync(conn, $"CREATE DATABASE {database} OWNER {role}", ct);
                foreach (var (name, value) in roleSettings)
                {
                    try { await BackendAdmin.ExecuteAsync(conn, $"ALTER ROLE {role} SET {name} = '{value.Replace("'", "''")}'", ct); }
                    catch (PostgresException e)
                    {
                        throw new NeedsManagedServerException($"setting {name}={value} (the attached server refused it as a role default: {e.MessageText})");
                    }
                }
                server.Version = await BackendAdmin.ReadAsync(conn, "SHOW server_version", r => r.GetString(0), ct);
                return server;
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }
    }

    public Task<int> TerminateBackendsAsync(BackendSelector selector, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _backends.TerminateAsync(selector, ct);
    }

    public Task<ActivitySnapshot> GetActivityAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _backends.ActivityAsync(ct);
    }

    public Task<string> ReadLogAsync(CancellationToken ct = default) =>
        Task.FromResult($"(attached to {Host}:{Port}: its server log is not available to the harness)");

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            await using var conn = new NpgsqlConnection(_admin.ConnectionString);
            await conn.OpenAsync();
            var force = conn.PostgreSqlVersion.Major >= 13 ? " WITH (FORCE)" : "";
            await BackendAdmin.ExecuteAsync(conn, $"DROP DATABASE IF EXISTS {Database}{force}", CancellationToken.None);
            await BackendAdmin.ExecuteAsync(conn, $"DROP ROLE IF EXISTS {AppUser}", CancellationToken.None);
        }
        catch (NpgsqlException) { /* the attached server went away; its owner cleans up */ }
    }
}
