using Chaos.Harness.Environments;
using Chaos.Harness.Expectations;
using Chaos.Harness.Scenarios;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>
/// Only the database host's answers are lost (an asymmetric route, a one-way firewall rule, a half-dead
/// NIC): the server receives every request and executes it, COMMITs included, but the application hears
/// nothing, not even TCP's acknowledgements, until the heal; then the server's retransmissions arrive. From
/// the application's side the connections are half-open.
/// </summary>
internal sealed class OneWayPartition : IFault
{
    // Past the hang threshold by a second, as in network-partition (a shorter window measures TCP's backoff).
    private static readonly TimeSpan Held = Timing.HangAfter + TimeSpan.FromSeconds(1);

    public string Name => "one-way-partition";
    public string Description => $"Every packet from the database host to the application dropped for {Held.TotalSeconds:0} s (half-open connections); requests still reach the server.";

    public EnvironmentSpec Environment(EnvironmentSpec spec) => spec with { KernelNetwork = true };

    // On the running workload, not at a hook: see network-partition for why.
    public Scenario Scenario { get; } = Scenario.Window(Nemesis.Kernel(new Network.Kernel.OneWayPartition(),
        $"one-way partition: the database host's packets dropped for {Held.TotalSeconds:0} s",
        "the database host's packets flow again: its retransmissions arrive"), Held);

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Hung, $"the server executes the requests, but their answers (and TCP's acknowledgements) are lost for {Held.TotalSeconds:0} s: the application waits past the hang threshold for the server's retransmissions")
        .When(t => t.HasCommandTimeout && t.Retries, Hung,
            $"Command Timeout ends the first attempt after about {2 * Timing.CommandTimeoutSeconds} s (the cancel request waits its connect Timeout too), and the retry's next attempts each wait Timeout for a connection the partition swallows: together past the hang threshold")
        .When(t => t.HasCommandTimeout, Recovered,
            $"Command Timeout ({Timing.CommandTimeoutSeconds} s) gives up on the request whose answer is lost; the cancel request's SYN-ACK is lost too, so Npgsql breaks the connection; new connections time out until the heal, then work");
}
