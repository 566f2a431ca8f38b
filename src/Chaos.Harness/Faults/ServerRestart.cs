using Chaos.Harness.Expectations;
using Chaos.Harness.Scenarios;
using Chaos.Harness.Servers;
using Chaos.Harness.Workload;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>A fast restart (pg_ctl -m fast), as in a minor-version upgrade or a planned failover.</summary>
/// <remarks>
/// The restart lands while one write transaction is open, so a request is always in flight when the
/// sessions end. Left to chance, whether any request was mid-query at that instant decided between
/// survived and recovered behind PgBouncer, which hides the restart from idle clients. The other
/// requests are held back only while it strikes (no other COMMIT is caught by the shutdown: EF Core
/// surfaces such a COMMIT as an ObjectDisposedException its strategy does not retry, which made its cells
/// flip), then meet the restarted server as they would in production. The struck transaction stays open
/// <see cref="HeldOpen"/> in all, however quickly the server comes back (1.0 to 3.5 s measured): whether
/// Npgsql's 1 s Keepalive probed its connection before it was used again depended on that, and decided
/// between survived and recovered for the retrying profiles that have one.
/// </remarks>
internal sealed class ServerRestart : IFault
{
    /// <summary>How long the struck transaction stays open across the restart, as one awaiting another service would.</summary>
    private static readonly TimeSpan HeldOpen = TimeSpan.FromSeconds(2 * Timing.KeepaliveSeconds + 1);

    public string Name => "server-restart";
    public string Description => "Fast restart: every session gets 57P01, the server is down for a moment, then healthy.";

    public Scenario Scenario { get; } = Scenario.Of(
        new InjectAtHook(Nemesis.Of(Capability.ProcessControl, async (target, ct) =>
        {
            var victim = target.RequireVictim();
            var open = System.Diagnostics.Stopwatch.StartNew();
            await target.Require<IProcessControl>().RestartAsync(StopMode.Fast, ct);
            // The fault's length, not a synchronisation: the transaction's own pause, bounded by HeldOpen.
            if (HeldOpen - open.Elapsed is { Ticks: > 0 } rest) await Task.Delay(rest, ct);
            return new Injection($"fast restart while op {victim.RequestId} holds an open transaction", "server accepting connections again");
        }), HookPoint.AfterWrite, Isolate: true),
        new Resume(),
        new Heal());

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Recovered, "a fast restart ends every session with 57P01 and refuses connections for a moment; requests fail until it is back")
        .When(t => t.Retries && !t.SettlesUnknownCommits && t.KeepsAliveWithin(HeldOpen), Recovered,
            $"Keepalive probes the struck transaction's connection while it waits {HeldOpen.TotalSeconds:0} s across the restart, finds it dead and breaks it: Npgsql marks the transaction completed, " +
            "and its next command gets InvalidOperationException ('Transaction is already completed'), which is not an NpgsqlException: EF Core's strategy does not retry it " +
            "(the idempotent retry does: the session died before COMMIT, so the transaction rolled back)")
        .When(t => t.Retries, Survived, "the restart's errors are transient and the backoff outlasts the restart");
}
