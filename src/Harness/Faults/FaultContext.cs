using Chaos.Harness.Profiles;
using Chaos.Harness.Proxy;
using Chaos.Harness.Servers;
using Chaos.Harness.Workload;

namespace Chaos.Harness.Faults;

/// <summary>What a fault can reach: the cluster, the fault proxy in front of it, and the running workload.</summary>
public sealed class FaultContext
{
    internal FaultContext(
        PostgresCluster cluster, ToxiproxyClient proxy, string proxyName, string applicationName,
        Profile profile, Ledger ledger, WorkloadRunner workload, TimeProvider time)
    {
        Cluster = cluster;
        Proxy = proxy;
        ProxyName = proxyName;
        ApplicationName = applicationName;
        Profile = profile;
        Ledger = ledger;
        Workload = workload;
        Time = time;
    }

    public PostgresCluster Cluster { get; }
    public ToxiproxyClient Proxy { get; }

    /// <summary>The proxy every application connection of this cell goes through.</summary>
    public string ProxyName { get; }

    /// <summary>The application's Application Name; its backends carry it (through PgBouncer too).</summary>
    public string ApplicationName { get; }

    public Profile Profile { get; }
    public Ledger Ledger { get; }
    internal WorkloadRunner Workload { get; }
    public TimeProvider Time { get; }

    /// <summary>Holds the fault for its window. Not a synchronisation: the window is part of the fault's definition.</summary>
    public Task HoldAsync(TimeSpan window, CancellationToken ct) => Task.Delay(window, Time, ct);

    /// <summary>Polls <paramref name="condition"/> until it holds or <see cref="Timing.HangAfter"/> passes; says which.</summary>
    public async Task<bool> WaitUntilAsync(Func<bool> condition, CancellationToken ct)
    {
        var start = Time.GetTimestamp();
        while (!condition())
        {
            if (Time.GetElapsedTime(start) > Timing.HangAfter)
            {
                return false;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(5), Time, ct);
        }
        return true;
    }

    /// <summary>
    /// Catches the next write transaction at <paramref name="point"/>, holds every other request back so
    /// it is struck alone, runs <paramref name="strike"/> while it waits, and returns once the struck
    /// attempt has failed (a retry may follow). The caller heals and then lets the others go with
    /// <see cref="WorkloadRunner.Resume"/>.
    /// </summary>
    public async Task<HookHit> StrikeOneTransactionAsync(HookPoint point, Func<HookHit, CancellationToken, Task> strike, CancellationToken ct)
    {
        var hit = await StrikeDuringTransactionAsync(point, async (hit, token) =>
        {
            await Workload.IsolateAsync(token);
            await strike(hit, token);
        }, ct);
        await WaitUntilAsync(() => hit.Op.FailedAttempts > 0 || hit.Op.Outcome != Outcome.Pending, ct);
        return hit;
    }

    /// <summary>
    /// Runs <paramref name="strike"/> while the next write transaction waits at <paramref name="point"/>,
    /// so at least one request is in flight when it lands; other requests keep running.
    /// </summary>
    public Task<HookHit> StrikeDuringTransactionAsync(HookPoint point, Func<HookHit, CancellationToken, Task> strike, CancellationToken ct) =>
        Workload.Hooks.ArmAsync(point, strike).WaitAsync(Timing.HangAfter, Time, ct);

    /// <summary>pg_terminate_backend on the application's backends that match; notes how many.</summary>
    public async Task<int> TerminateAppBackendsAsync(string? state, TimeSpan? olderThan, CancellationToken ct)
    {
        var killed = await Cluster.TerminateBackendsAsync(
            new BackendSelector { ApplicationName = ApplicationName, State = state, OlderThan = olderThan }, ct);
        if (killed > 0)
        {
            Ledger.Note("broken", $"pg_terminate_backend: {killed} {state ?? "any-state"} backend(s)" + (olderThan is { } age ? $" older than {age.TotalSeconds:0.#} s" : ""), "57P01");
        }
        return killed;
    }

    public async Task AddToxicAsync(ToxicSpec toxic, CancellationToken ct)
    {
        var added = await Proxy.AddToxicAsync(ProxyName, toxic, ct);
        Ledger.Note("note", $"toxic {added.Name} added ({added.Type}, {added.Stream})");
    }

    /// <summary>Removes every toxic from this cell's proxy (it belongs to this cell alone) and makes sure it is enabled.</summary>
    public async Task ClearProxyAsync(CancellationToken ct)
    {
        foreach (var toxic in await Proxy.GetToxicsAsync(ProxyName, ct))
        {
            await Proxy.RemoveToxicAsync(ProxyName, toxic.Name, ct);
        }
        await Proxy.SetEnabledAsync(ProxyName, true, ct);
    }
}
