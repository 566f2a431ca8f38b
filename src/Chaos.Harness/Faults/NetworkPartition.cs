using Chaos.Harness.Environments;
using Chaos.Harness.Expectations;
using Chaos.Harness.Network.Kernel;
using Chaos.Harness.Scenarios;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>
/// The network between the application and the database host goes silent, both ways, for connections in
/// use, idle ones and new ones (SYNs too), and comes back: a switch reboots, a route flaps, a cable is
/// pulled and put back. Nothing is closed: when packets flow again TCP retransmits what was lost and the
/// connections carry on. Unlike black-hole (the proxy closes the held connections at the heal, as
/// Toxiproxy does), the application's own sockets see the silence, and the kernel decides what happens.
/// </summary>
/// <remarks>
/// The partition lands on the running workload, not at a hook as black-hole does: a transaction held at a
/// hook waits there while nft applies the rule (1.7 s was measured on the loaded 2-core machine), and that
/// wait counted against its hang threshold, which turned command-timeout's recovered into hung once in
/// three runs. Every worker sends within its think time, so requests are in flight either way. Keepalive plays no part here:
/// a socket with unacknowledged data does not send keepalive probes (TCP retransmits instead, and
/// <c>net.ipv4.tcp_retries2</c> gives up after about 15 minutes), and an idle one would need Tcp Keepalive
/// Time plus nine probes (the kernel's default count: Npgsql sets none), 10 s here, to notice.
/// </remarks>
internal sealed class NetworkPartition : IFault
{
    // Past the hang threshold by a second, like silent-idle-drop's dark window: a partition shorter than the
    // patience of every profile only measures TCP's retransmission backoff (a packet lost at 3.0 s is sent
    // again at 6.2 s), which decided between survived and hung by tens of milliseconds when it was 3 s.
    private static readonly TimeSpan Held = Timing.HangAfter + TimeSpan.FromSeconds(1);

    public string Name => "network-partition";
    public string Description => $"Every packet between application and database host dropped, both ways, SYNs too, for {Held.TotalSeconds:0} s; then TCP retransmits.";

    public EnvironmentSpec Environment(EnvironmentSpec spec) => spec with { KernelNetwork = true };

    public Scenario Scenario { get; } = Scenario.Window(Nemesis.Kernel(new Partition(),
        $"network partition: every packet dropped, both ways, for {Held.TotalSeconds:0} s",
        "packets flow again: TCP retransmits what was lost"), Held);

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Hung, $"requests in flight wait out the {Held.TotalSeconds:0} s of silence: nothing closes, TCP keepalive does not probe a socket with unacknowledged data, and TCP retransmits them only after the heal, past the hang threshold")
        .When(t => t.HasCommandTimeout && t.Retries, Hung,
            $"Command Timeout ends the first attempt after about {2 * Timing.CommandTimeoutSeconds} s (the cancel request waits its connect Timeout too), and the retry's next attempts each wait Timeout for a connection the partition swallows: together past the hang threshold")
        .When(t => t.HasCommandTimeout, Recovered,
            $"Command Timeout ({Timing.CommandTimeoutSeconds} s) gives up on the request; its cancel request cannot connect either (Timeout {Timing.CommandTimeoutSeconds} s), so Npgsql breaks the connection; new connections time out until the heal, then work. " +
            "The request in flight ends only after Command Timeout, the cancel request's connect Timeout and Npgsql's wait for the cancellation (6.0 to 6.7 s measured), " +
            "within 2 s of the hang threshold: once in a CI run one request took past 8 s, so hung is accepted too",
            or: Hung);
}
