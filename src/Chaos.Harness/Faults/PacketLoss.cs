using Chaos.Harness.Environments;
using Chaos.Harness.Expectations;
using Chaos.Harness.Scenarios;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>
/// A share of packets dropped at random, both ways, under load (a flaky link, an overloaded middlebox, a
/// congested cross-zone path). TCP retransmits, so no byte is lost: what suffers is latency (p99), and
/// anything with a timeout close to TCP's retransmission timeout.
/// </summary>
internal sealed class PacketLoss : IFault
{
    private const int Percent = 10;

    public string Name => "packet-loss";
    public string Description => $"{Percent} % of packets dropped at random, both ways, for {Timing.FaultHold.TotalSeconds:0} s under load.";

    public EnvironmentSpec Environment(EnvironmentSpec spec) => spec with { KernelNetwork = true };

    public Scenario Scenario { get; } = Scenario.Window(Nemesis.Kernel(new Network.Kernel.PacketLoss(Percent),
        $"{Percent} % of packets dropped at random, both ways", "no packet is dropped any more"), Timing.FaultHold);

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Survived, $"TCP retransmits every dropped packet; {Percent} % loss costs latency (retransmission timeouts of 200 ms and more), not errors");
}
