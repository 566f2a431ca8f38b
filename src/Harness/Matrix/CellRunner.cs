using Chaos.Harness.Checking;
using Chaos.Harness.Faults;
using Chaos.Harness.Profiles;
using Chaos.Harness.Proxy;
using Chaos.Harness.Servers;
using Chaos.Harness.Workload;
using Npgsql;

namespace Chaos.Harness.Matrix;

/// <summary>
/// Runs one cell (fault x profile) end to end, isolated from every other cell: its own cluster, its own
/// PgBouncer when the profile goes through one, its own proxy and Application Name.
/// </summary>
/// <remarks>
/// <code>
///   app (Npgsql pool + profile policy) ──► proxy ──► [PgBouncer] ──► PostgreSQL ◄── admin (sampler, faults, checks)
/// </code>
/// Teardown order matters: stop the workload, heal, look for sessions left idle in transaction, dispose
/// the pools and look for connections that outlived them, and only then delete the proxy, which closes
/// whatever hung requests still hold.
/// </remarks>
internal static class CellRunner
{
    private static readonly TimeSpan DrainBound = TimeSpan.FromSeconds(5);

    /// <summary>
    /// PgBouncer in transaction mode, with its retry after a failed server login scaled from 15 s to 1 s
    /// like every other time constant; unscaled, whether clients hang after a restart would depend on
    /// whether PgBouncer happened to try during the few hundred milliseconds the server was down.
    /// </summary>
    private static readonly PgBouncerOptions BouncerDefaults = new()
    {
        Mode = PoolMode.Transaction,
        DefaultPoolSize = 10,
        Settings = new Dictionary<string, string> { ["server_login_retry"] = "1" },
    };

    /// <summary>Marks a setup failure that happened before the cell started: the machine needs fixing, not the cell.</summary>
    internal const string BeforeStart = "chaos.before-start";

    public static async Task<CellResult> RunAsync(IFault fault, Profile profile, ToxiproxyClient proxy, int seed, TimeProvider time, CancellationToken ct)
    {
        if (fault.NotApplicableTo(profile) is { } why)
        {
            return NotApplicable(fault, profile, why, seed);
        }
        if (fault.NeedsManagedServer && PostgresCluster.IsAttachConfigured)
        {
            return NotApplicable(fault, profile, "needs a managed server: the harness is attached to an existing one (CHAOS_PG_ADMIN)", seed);
        }

        using var watchdog = CancellationTokenSource.CreateLinkedTokenSource(ct);
        watchdog.CancelAfter(Timing.CellWatchdog);
        var token = watchdog.Token;

        await using var cluster = await BeforeStartAsync(() => PostgresCluster.CreateAsync(fault.Server(new PostgresOptions()), ct));
        await CreateSchemaAsync(cluster, fault.Workload, ct);
        await using var bouncer = profile.Route == Route.PgBouncer
            ? await BeforeStartAsync(() => PgBouncer.StartAsync(cluster, fault.Bouncer(BouncerDefaults), ct))
            : null;

        var appName = $"chaos-{fault.Name}-{profile.Name}";
        var proxyName = $"{appName}-{Guid.NewGuid():N}"; // unique even when a cell runs twice at once
        var upstream = bouncer is null ? $"127.0.0.1:{cluster.Port}" : $"127.0.0.1:{bouncer.Port}";
        var created = await proxy.CreateProxyAsync(new ProxyConfig(proxyName, "127.0.0.1:0", upstream), ct);

        var ledger = new Ledger(time);
        var final = new FinalState();
        var watchdogFired = false;
        try
        {
            var endpoint = new NpgsqlConnectionStringBuilder(bouncer?.AppConnectionString ?? cluster.AppConnectionString)
            {
                Host = "127.0.0.1",
                Port = created.ListenPort,
            }.ConnectionString;
            var connectionString = profile.ConnectionString(endpoint, appName);
            var spec = fault.Workload;

            await using var sampler = new ConnectionSampler(cluster.AdminConnectionString, cluster.AppUser, time);
            var client = new AppClient(profile, Enumerable.Repeat(connectionString, spec.Instances).ToList(), ledger);
            var workload = new WorkloadRunner(client, ledger, spec, time);
            var context = new FaultContext(cluster, proxy, proxyName, appName, profile, ledger, workload, time);
            try
            {
                workload.Start();
                await Task.Delay(Timing.WarmUp, time, token);
                await fault.InjectAsync(context, token);
                if (ledger.HealAtMs is null)
                {
                    ledger.MarkHeal("fault window over");
                }
                await Task.Delay(Timing.After, time, token);
            }
            catch (OperationCanceledException) when (watchdog.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                watchdogFired = true;
                ledger.Note("hung", $"cell watchdog fired after {Timing.CellWatchdog.TotalSeconds:0} s");
            }
            finally
            {
                await workload.StopAsync();
                await HealQuietlyAsync(fault, context, ledger, ct);
                var (idleInTx, locks) = await LeftoverSessionsAsync(cluster, ct);
                await workload.DisposeAsync();
                await client.DisposeAsync();
                var leftover = profile.Route == Route.Direct ? await LeftoverConnectionsAsync(cluster, appName, time, ct) : 0;
                final = final with
                {
                    IdleInTransaction = idleInTx,
                    HoldingLocks = locks,
                    LeftoverConnections = leftover,
                    PeakServerConnections = sampler.Peak,
                    WatchdogFired = watchdogFired,
                };
                // Closing the proxy's sockets ends requests that were called hung.
                await proxy.DeleteProxyAsync(proxyName, ct);
                await workload.DrainAbandonedAsync(DrainBound);
            }
        }
        catch
        {
            await DeleteQuietlyAsync(proxy, proxyName);
            throw;
        }

        final = final with { Rows = await ReadWritesAsync(cluster, ct) };
        return Checker.Judge(fault.Name, profile.Name, ledger, final, seed);
    }

    private static async Task<T> BeforeStartAsync<T>(Func<Task<T>> start)
    {
        try
        {
            return await start();
        }
        catch (ServerSetupException e)
        {
            e.Data[BeforeStart] = true;
            throw;
        }
    }

    private static CellResult NotApplicable(IFault fault, Profile profile, string why, int seed) => new()
    {
        Fault = fault.Name,
        Profile = profile.Name,
        Verdict = Verdict.NotApplicable,
        Reason = why,
        Seed = seed,
    };

    private static async Task CreateSchemaAsync(PostgresCluster cluster, WorkloadSpec spec, CancellationToken ct)
    {
        var tenants = spec.Mix == WorkMix.SessionState ? spec.Workers : 0;
        await using var admin = await OpenAdminAsync(cluster, ct);
        var grants = $"GRANT ALL ON writes TO \"{cluster.AppUser}\";"
            + string.Concat(Enumerable.Range(0, tenants).Select(t => $"GRANT USAGE ON SCHEMA tenant_{t} TO \"{cluster.AppUser}\"; GRANT SELECT ON tenant_{t}.marker TO \"{cluster.AppUser}\";"));
        await using var cmd = new NpgsqlCommand(Requests.Schema(tenants) + grants, admin);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<(int IdleInTransaction, int HoldingLocks)> LeftoverSessionsAsync(PostgresCluster cluster, CancellationToken ct)
    {
        try
        {
            await using var admin = await OpenAdminAsync(cluster, ct);
            await using var cmd = new NpgsqlCommand(
                """
                SELECT
                  (SELECT count(*)::int FROM pg_stat_activity WHERE usename = @user AND state LIKE 'idle in transaction%'),
                  (SELECT count(DISTINCT l.pid)::int FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                    WHERE a.usename = @user AND l.locktype = 'advisory' AND l.granted)
                """, admin);
            cmd.Parameters.AddWithValue("user", cluster.AppUser);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            return (reader.GetInt32(0), reader.GetInt32(1));
        }
        catch (NpgsqlException)
        {
            return (0, 0);
        }
    }

    /// <summary>Waits (bounded) for the app's backends to go once its pools are disposed; returns how many did not.</summary>
    private static async Task<int> LeftoverConnectionsAsync(PostgresCluster cluster, string appName, TimeProvider time, CancellationToken ct)
    {
        var start = time.GetTimestamp();
        while (true)
        {
            var activity = await cluster.GetActivityAsync(ct);
            var left = activity.CountFor(appName);
            if (left == 0 || time.GetElapsedTime(start) > TimeSpan.FromSeconds(2))
            {
                return left;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), time, ct);
        }
    }

    private static async Task<IReadOnlyList<WriteRows>> ReadWritesAsync(PostgresCluster cluster, CancellationToken ct)
    {
        await using var admin = await OpenAdminAsync(cluster, ct);
        await using var cmd = new NpgsqlCommand("SELECT write_id, part, count(*)::int FROM writes GROUP BY write_id, part", admin);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<WriteRows>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new WriteRows(reader.GetGuid(0), reader.GetInt32(1), reader.GetInt32(2)));
        }
        return rows;
    }

    private static async Task<NpgsqlConnection> OpenAdminAsync(PostgresCluster cluster, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cluster.AdminConnectionString)
        {
            Database = cluster.Database, // the app's database: the schema and the final read live there
            Pooling = false,
            ApplicationName = "chaos-admin",
        }.ConnectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    private static async Task HealQuietlyAsync(IFault fault, FaultContext context, Ledger ledger, CancellationToken ct)
    {
        try
        {
            await fault.HealAsync(context, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            ledger.Note("note", $"final heal failed: {e.GetType().Name}: {e.Message}");
        }
    }

    private static async Task DeleteQuietlyAsync(ToxiproxyClient proxy, string name)
    {
        try
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await proxy.DeleteProxyAsync(name, bound.Token);
        }
        catch (Exception e) when (e is ToxiproxyException or HttpRequestException or OperationCanceledException)
        {
            // Already gone, or the proxy server is: nothing left to close.
        }
    }
}
