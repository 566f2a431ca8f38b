using Chaos.Harness.Environments;
using Chaos.Harness.Expectations;
using Chaos.Harness.Scenarios;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>
/// A planned switchover (maintenance on RDS, Patroni's switchover): the primary is shut down, the
/// standby promoted, and the former primary restarted as a standby of the new one. The writer endpoint
/// moves only after a propagation delay (DNS TTL, a cached address): connections opened meanwhile reach
/// the former primary, now read-only, and a pool keeps them, so writes fail with 25006 until the pool
/// lets them go (npgsql#5807, efcore.pg#1306).
/// </summary>
/// <remarks>
/// The switchover runs in a quiet moment (the workload paused, as maintenance windows are chosen):
/// under traffic, whether a multi-host client happened to look at the standby while it was being
/// promoted decided whether Npgsql cached it as a standby for Host Recheck Seconds, and its cells
/// flipped between recovered and failed (failover-sync shows that cache deterministically). The
/// scenario holds a second after the endpoint moved, so that a pool recycling by age (Connection
/// Lifetime of 2 s) has retired every read-only connection before the healthy tail is judged.
/// </remarks>
internal sealed class Switchover : IFault
{
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(1.5);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    public string Name => "switchover";
    public string Description => $"Planned switchover: shutdown, promotion, the former primary rejoins as a standby; the writer endpoint follows {Propagation.TotalSeconds:0.#} s later.";

    public EnvironmentSpec Environment(EnvironmentSpec spec) => spec with { Standby = new StandbySpec() };

    public Scenario Scenario { get; } = Scenario.Of(
        new Pause(),
        new Inject(Nemesis.Of(Capability.Replication | Capability.ProcessControl, async (target, ct) =>
        {
            var pair = target.Environment.Replication!;
            await pair.SwitchoverAsync(ct);
            target.Note($"the standby was promoted; the former primary rejoined as its standby, read-only; the writer endpoint still points at it");
            return new Injection("planned switchover: the primary shut down and the standby promoted", "the writer endpoint points at the new primary",
                token =>
                {
                    pair.MoveEndpointToPrimary();
                    return Task.CompletedTask;
                });
        })),
        new Resume(),
        new Hold(Propagation),
        new Heal(),
        new Hold(Settle));

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Failed, "connections opened while the endpoint still pointed at the former primary are read-only, and the pool keeps handing them out: writes fail with 25006 long after the switchover")
        .When(t => t.MultiHost && t.Retries, Survived, "the pooled connections died with the shutdown; the retry reconnects, and Target Session Attributes=primary makes Npgsql take the new primary")
        .When(t => t.RechecksHostsWithin(Settle), Survived,
            $"the switchover takes longer than Host Recheck Seconds ({Settle.TotalSeconds:0} s or less), so when the requests resume Npgsql checks the hosts again " +
            "before handing out a connection: the check runs on the pooled connections the shutdown killed, finds them dead and opens new ones to the new primary, and no request sees the shutdown")
        .When(t => t.MultiHost, Recovered, "the pooled connections died with the shutdown (the first requests fail); Target Session Attributes=primary makes Npgsql check each new connection and take the new primary")
        .When(t => t.ClearsPoolOnReadOnly, Recovered, "the first 25006 clears the pool, so the read-only connections go and fresh ones reach the new primary once the endpoint has moved")
        .When(t => !t.Pooling && !t.ViaPgBouncer, Recovered, "every request opens a new connection, so once the endpoint has moved every request reaches the new primary")
        .When(t => t.RecyclesBefore(Settle + Propagation), Recovered, "Connection Lifetime retires the read-only connections within seconds, before the healthy tail is judged")
        .When(t => t.EvictsIdleWithin(Settle + Propagation), Recovered,
            "idle pruning closes the connections the workload leaves idle between its requests, read-only ones included, within seconds; " +
            "but it closes only those idle when it samples the pool, so a read-only connection in use at every sample can still serve 25006 in the healthy tail (failed): which, depends on timing",
            or: Failed);
}
