using Chaos.Harness.Environments;
using Chaos.Harness.Expectations;
using Chaos.Harness.Scenarios;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>
/// A middlebox that answers the next packet of a flow it forgot after its idle timeout with a TCP RST (what
/// common cloud load balancers do): the application learns at once that the connection is gone, at the
/// price of the request it sent on it. Connection tracking with an idle timeout, like idle-flow-drop, so any
/// packet keeps a flow alive.
/// </summary>
internal sealed class IdleFlowReset : IFault
{
    public string Name => "idle-flow-reset";
    public string Description =>
        $"A middlebox forgets flows idle for {Timing.MiddleboxIdleTimeout.TotalSeconds:0} s and answers their next packet with a TCP RST.";

    public EnvironmentSpec Environment(EnvironmentSpec spec) => spec with { KernelNetwork = true };

    public Scenario Scenario { get; } = Scenario.Of(
        new Pause(),
        new Inject(Nemesis.Kernel(new Network.Kernel.IdleFlowReset(Timing.MiddleboxIdleTimeout),
            $"the middlebox forgets flows idle for {Timing.MiddleboxIdleTimeout.TotalSeconds:0} s and resets them",
            "the middlebox is gone")),
        new Hold(Timing.IdlePeriod),
        new Resume(),
        new Hold(Timing.FaultHold),
        new Heal());

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Recovered, "the first request on each forgotten flow gets a connection reset; Npgsql breaks the connection and clears the pool, and fresh connections work")
        .When(t => !t.Pooling, Survived, "every request opens a new connection, which the middlebox tracks afresh (behind PgBouncer too: PgBouncer reaches the server inside the database host, not across the middlebox)")
        .When(t => t.Keepalive is { } k && k < Timing.MiddleboxIdleTimeout, Survived,
            $"Npgsql's Keepalive query crosses every idle connection within {Timing.KeepaliveSeconds} s, so the middlebox never forgets one")
        .When(t => t.TcpKeepalive, Survived,
            $"TCP keepalive probes (Tcp Keepalive Time {Timing.TcpKeepaliveSeconds} s) cross every idle connection, so the middlebox never forgets one")
        .When(t => t.EvictsIdleWithin(Timing.MiddleboxIdleTimeout - TimeSpan.FromSeconds(1)), Survived,
            "the pool closes idle connections before the middlebox forgets them; requests open fresh ones")
        .When(t => t.RecyclesBefore(Timing.IdlePeriod), Survived,
            $"Connection Lifetime ({Timing.RecycleSeconds} s) is shorter than the idle period, so every pooled connection is closed at its next checkout instead of used, and the request opens a fresh one")
        .When(t => t.Retries, Survived, "the reset comes before the request's COMMIT, so the retry runs it again on a fresh connection")
        .When(t => t.ValidatesOnCheckout, Survived, "the validation query meets the reset and the checkout takes a fresh connection");
}
