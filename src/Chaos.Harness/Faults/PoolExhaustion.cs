using Chaos.Harness.Expectations;
using Chaos.Harness.History;
using Chaos.Harness.Scenarios;
using Chaos.Harness.Workload;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>
/// More concurrent requests than a bounded pool holds, each keeping its connection through a slow external
/// call (claim 5): a bounded pool fails fast, an unbounded one queues. The fault is the load itself.
/// </summary>
internal sealed class PoolExhaustion : IFault
{
    private const int Burst = 30;

    public string Name => "pool-exhaustion";
    public string Description => $"A burst of {Burst} requests that each hold a connection for {WorkloadSpec.HoldFor.TotalSeconds:0} s.";

    public int PeakSessions => Burst + WorkloadSpec.Default.Workers;

    public Scenario Scenario { get; } = Scenario.Of(
        new Inject(Nemesis.Mark($"burst of {Burst} long-held sessions", "burst over")),
        new Burst(OpKind.Hold, Burst),
        new Heal());

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Survived, $"the pool holds the {Burst} long sessions; the other requests wait behind them (p99 about {WorkloadSpec.HoldFor.TotalSeconds:0} s) and succeed")
        .When(t => t.Pooling && t.MaxPoolSize < Burst && t.CheckoutTimeout < WorkloadSpec.HoldFor, Recovered,
            $"the pool is smaller than the burst of {Burst} and its checkout Timeout is shorter than the {WorkloadSpec.HoldFor.TotalSeconds:0} s hold: requests beyond the pool fail fast instead of waiting");
}
