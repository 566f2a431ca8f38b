using Chaos.Harness.Expectations;
using Chaos.Harness.Proxy;
using Chaos.Harness.Scenarios;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>Added latency with jitter on every answer, under load (a congested link, a noisy neighbour).</summary>
internal sealed class LatencySpike : IFault
{
    private const long LatencyMs = 300;
    private const long JitterMs = 100;

    public string Name => "latency-spike";
    public string Description => $"{LatencyMs} ± {JitterMs} ms on every answer for {Timing.FaultHold.TotalSeconds:0} s.";

    public Scenario Scenario { get; } = Scenario.Window(Nemesis.Toxics(
        _ => $"latency {LatencyMs} ± {JitterMs} ms", "latency back to normal",
        ToxicSpec.Latency(LatencyMs, JitterMs, ToxicStream.Downstream) with { Name = "latency-spike" }), Timing.FaultHold);

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Survived, $"{LatencyMs} ms of latency slows requests but breaks nothing; every timeout is longer");
}
