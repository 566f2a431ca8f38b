using Chaos.Harness.Profiles.Policies;
using Chaos.Harness.Environments;
using Chaos.Harness.Drivers.EfCore;
using Chaos.Harness.Expectations;
using Chaos.Harness.History;
using Chaos.Harness.Scenarios;
using Chaos.Harness.Workload;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>
/// Several app instances whose pools together want more than max_connections (claim 9): instances x
/// pool size is what the server must hold, not the pool size alone.
/// </summary>
internal sealed class ConnectionLimit : IFault
{
    private const int Instances = 3;
    private const int MaxConnections = 20;
    // 3 x (6 + 2) = 24 sessions against 17 slots (3 are the superuser's): refused for the whole burst, yet
    // the last held session ends within about 2.6 s. With 10 a retried request could wait 6 s for a slot and
    // then hold it 2 s more, past the hung threshold, and every refused attempt costs a SCRAM handshake.
    private const int BurstPerInstance = 6;
    private const int PoolerServerConnections = 10;

    public string Name => "connection-limit";
    public string Description => $"{Instances} app instances burst to {PeakSessions} sessions against max_connections={MaxConnections}.";
    public Capability Needs => Capability.ServerConfiguration;
    public WorkloadSpec Workload => new(Workers: 2, Instances: Instances);
    public int PeakSessions => Instances * (BurstPerInstance + Workload.Workers);

    // PgBouncer must stay under the server's limit (minus the superuser's reserved slots) to show what it is for.
    public EnvironmentSpec Environment(EnvironmentSpec spec) => spec with
    {
        Server = spec.Server with { MaxConnections = MaxConnections },
        Pooler = spec.Pooler is { } pooler ? pooler with { DefaultPoolSize = PoolerServerConnections } : null,
    };

    public Scenario Scenario { get; } = Scenario.Of(
        new Inject(Nemesis.Mark($"every instance bursts {BurstPerInstance} long-held sessions", "burst over")),
        new Burst(OpKind.Hold, BurstPerInstance),
        new Heal());

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Recovered, $"{Instances} instances burst past max_connections={MaxConnections}; the server refuses connections with 53300 until the burst ends")
        .When(t => t.ViaPgBouncer, Survived, $"PgBouncer holds at most {PoolerServerConnections} server connections and queues the rest of the burst")
        .When(t => t.Retries, Recovered,
            $"the burst holds the server full for {WorkloadSpec.HoldFor.TotalSeconds:0} s, longer than any retry lasts ({RetryBackoff.Total.TotalSeconds:0.#} s, EF Core's at most {ScaledRetryingStrategy.MaxTotalBackoff.TotalSeconds:0.#} s), " +
            "yet a retry rescues nearly every refused request with a pooled connection that frees up meanwhile: whether one ran out of attempts first decides between recovered and survived (0 to 6 errors measured)",
            or: Survived);
}
