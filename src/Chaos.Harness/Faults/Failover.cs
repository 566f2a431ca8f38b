using Chaos.Harness.Drivers.EfCore;
using Chaos.Harness.Environments;
using Chaos.Harness.Expectations;
using Chaos.Harness.Profiles;
using Chaos.Harness.Scenarios;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>
/// The primary crashes while its standby has fallen behind, and after a detection delay the standby is
/// promoted and the writer endpoint moved to it; the old primary stays down (RDS Multi-AZ, Azure HA,
/// Patroni, CloudNativePG). With asynchronous replication, commits the old primary acknowledged during
/// the lag never reached the standby: they are gone. With synchronous replication the primary could not
/// acknowledge them: those commits wait, then fail when it crashes, and nothing acknowledged is lost.
/// </summary>
/// <remarks>
/// The lag is made, not hoped for: the primary's WAL senders are stopped for <see cref="Lag"/> before the
/// crash (a slow link between zones) and killed with it, so what the primary committed meanwhile never
/// left it, and how many acknowledged writes are lost does not depend on how far behind the standby
/// happened to be at the instant of the crash.
/// </remarks>
internal sealed class Failover(bool synchronous) : IFault
{
    private static readonly TimeSpan Lag = TimeSpan.FromSeconds(1);
    // Longer than any profile's retries last (Polly's 0.7 s, EF Core's at most about 1 s), so a retry
    // either gives up before the promotion or never started: no cell depends on which.
    private static readonly TimeSpan Detection = TimeSpan.FromSeconds(2);

    public string Name => synchronous ? "failover-sync" : "failover-async";
    public string Description =>
        $"The primary crashes {Lag.TotalSeconds:0} s after its standby stopped receiving WAL ({(synchronous ? "synchronous" : "asynchronous")} replication); " +
        $"the standby is promoted {Detection.TotalSeconds:0} s later and the writer endpoint moved to it.";

    public EnvironmentSpec Environment(EnvironmentSpec spec) => spec with { Standby = new StandbySpec(synchronous) };

    public Scenario Scenario { get; } = Scenario.Of(
        new Inject(Nemesis.Of(Capability.Replication | Capability.ProcessControl, async (target, ct) =>
        {
            var pair = target.Environment.Replication!;
            var senders = await pair.Primary.FreezeWalSendersAsync(ct);
            target.Note($"the primary's WAL sender(s) stopped ({senders.Count}): replication falls behind");
            await Task.Delay(Lag, ct);
            pair.Primary.KillProcesses(senders);
            await pair.Primary.StopAsync(Servers.StopMode.Immediate, ct);
            target.Note("the primary crashed (immediate stop); it stays down");
            return new Injection(
                $"replication stalls, then the primary crashes ({(synchronous ? "synchronous" : "asynchronous")} replication)",
                "the standby is promoted and the writer endpoint points at it",
                pair.PromoteStandbyAsync);
        })),
        new Hold(Detection),
        new Heal());

    public ExpectationRules Expected { get; } = synchronous
        ? ExpectationRules
            .Otherwise(Recovered, "commits wait for the stalled standby and fail when the primary crashes; after the promotion new connections reach the new primary, and nothing acknowledged is lost")
            .When(t => t.MultiHost && !t.RechecksHostsWithin(Timing.After - Timing.HealthyTail), Failed,
                $"'No suitable host was found' long after the promotion: Npgsql trusts what it learnt of each host for Host Recheck Seconds (10 by default), so it still takes the promoted server for a standby")
            .When(t => t.SettlesUnknownCommits && !t.ViaPgBouncer, Survived,
                $"every COMMIT waits for the stalled standby, so the crash leaves each worker's outcome unknown; the idempotent retry asks the promoted standby for up to {Timing.SettleUnknownCommitFor.TotalSeconds:0} s, finds the write absent, and runs it again there")
            .When(t => t.ViaPgBouncer, Recovered, "PgBouncer's server connections break with the primary and reconnect through the writer endpoint to the new primary; nothing acknowledged is lost")
            .When(t => t.EfCore is { Retry: EfCoreRetry.Verified }, Recovered,
                $"EF Core's verified strategy asks whether the unanswered COMMIT landed and runs the write again, but its six retries ({ScaledRetryingStrategy.MaxTotalBackoff.TotalSeconds:0.#} s of backoff) " +
                "are spent against the dead endpoint before the promotion 2.4 s after the crash, unless each attempt is slow (a loaded machine): then the last retry reaches the promoted standby (survived); nothing acknowledged is lost either way",
                or: Survived)
        : ExpectationRules
            .Otherwise(Corrupted, $"the old primary acknowledged the commits of the {Lag.TotalSeconds:0} s the standby lagged; the promoted standby never received them, so acknowledged writes are gone whatever the pool does");
}
