using Chaos.Harness.Environments;
using Chaos.Harness.Expectations;
using Chaos.Harness.Scenarios;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>
/// The real silent-idle-drop: a middlebox with an idle timeout (a NAT, a cloud load balancer, a firewall)
/// forgets flows that carried no packet for longer than its timeout; their next packets are dropped without
/// a word, forever, while new connections work. Modelled as what it is, connection tracking with an idle
/// timeout on the database host's side: any packet keeps a flow alive, TCP keepalive probes and Npgsql's
/// Keepalive queries included, exactly as in production.
/// </summary>
/// <remarks>
/// The application pauses for <see cref="Timing.IdlePeriod"/>, longer than the middlebox's
/// <see cref="Timing.MiddleboxIdleTimeout"/>, which is longer than every profile's keepalive (the ratio
/// production has: keepalive every minute, a middlebox that forgets after four or more).
/// </remarks>
internal sealed class IdleFlowDrop : IFault
{
    private static readonly TimeSpan Dark = Timing.HangAfter + TimeSpan.FromSeconds(1);

    public string Name => "idle-flow-drop";
    public string Description =>
        $"A middlebox forgets flows idle for {Timing.MiddleboxIdleTimeout.TotalSeconds:0} s and drops their packets silently, forever; new connections work.";

    public EnvironmentSpec Environment(EnvironmentSpec spec) => spec with { KernelNetwork = true };

    public Scenario Scenario { get; } = Scenario.Of(
        new Pause(),
        new Inject(Nemesis.Kernel(new Network.Kernel.IdleFlowDrop(Timing.MiddleboxIdleTimeout),
            $"the middlebox forgets flows idle for {Timing.MiddleboxIdleTimeout.TotalSeconds:0} s and drops their packets",
            "the middlebox is gone: forgotten flows pass again")),
        new Hold(Timing.IdlePeriod),
        new Resume(),
        new Hold(Dark),
        new Heal());

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Hung, "the pooled connections' flows were forgotten while idle; a request sent on one waits for an answer the middlebox drops, and no pool setting here bounds the wait")
        .When(t => !t.Pooling, Survived, "every request opens a new connection, which the middlebox tracks afresh (behind PgBouncer too: PgBouncer reaches the server inside the database host, not across the middlebox)")
        .When(t => t.Keepalive is { } k && k < Timing.MiddleboxIdleTimeout, Survived,
            $"Npgsql's Keepalive query crosses every idle connection within {Timing.KeepaliveSeconds} s, so the middlebox never sees one idle for {Timing.MiddleboxIdleTimeout.TotalSeconds:0} s")
        .When(t => t.TcpKeepalive, Survived,
            $"TCP keepalive probes (Tcp Keepalive Time {Timing.TcpKeepaliveSeconds} s, which Npgsql sets on Linux too) cross every idle connection, so the middlebox never forgets one")
        .When(t => t.EvictsIdleWithin(Timing.MiddleboxIdleTimeout - TimeSpan.FromSeconds(1)), Survived,
            "the pool closes idle connections before the middlebox forgets them; requests open fresh ones")
        .When(t => t.RecyclesBefore(Timing.IdlePeriod), Survived,
            $"Connection Lifetime ({Timing.RecycleSeconds} s) is shorter than the idle period, so every pooled connection is closed at its next checkout instead of used, and the request opens a fresh one")
        .When(t => t.HasCommandTimeout, Recovered, "Command Timeout ends each request on a forgotten flow and breaks its connection; fresh connections work");
}
