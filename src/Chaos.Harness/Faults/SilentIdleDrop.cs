using Chaos.Harness.Expectations;
using Chaos.Harness.Scenarios;
using Chaos.Harness.Servers;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>
/// A middlebox (NAT, load balancer, firewall) forgets idle connections: they go dark with no FIN and no
/// RST, forever, while new connections work. Simulated by freezing (SIGSTOP) exactly the backends that
/// were idle, so their sockets stay open and swallow requests; the proxy could not do this, because a
/// toxic applies to new connections too. On loopback the kernel still answers TCP keepalive probes for
/// a frozen backend, which a real middlebox would not: tcp-keepalive cannot show its benefit here.
/// </summary>
internal sealed class SilentIdleDrop : IFault
{
    private static readonly TimeSpan Dark = Timing.HangAfter + TimeSpan.FromSeconds(1);

    public string Name => "silent-idle-drop";
    public string Description => "Idle connections go dark (no FIN, no RST) while new ones work, as after a middlebox forgets them.";

    public Scenario Scenario { get; } = Scenario.Of(
        new Pause(),
        new Inject(Nemesis.Of(Capability.BackendFreeze, async (target, ct) =>
        {
            var server = target.Require<IBackendFreezable>();
            var frozen = await server.FreezeBackendsAsync(new BackendSelector { ApplicationName = target.ApplicationName, State = "idle" }, ct);
            // The forgotten connections never come back: their backends are ended, not resumed.
            return new Injection($"{frozen.Count} idle connection(s) went dark", "dark connections' backends terminated",
                token => server.TerminateAndThawBackendsAsync(frozen, token));
        })),
        new Resume(),
        new Hold(Dark),
        new Heal());

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Hung, "requests sent on a dark connection wait for an answer that never comes; no pool setting here bounds the wait")
        .When(t => t.HasCommandTimeout && t.RetriesIdempotently, Survived, "Command Timeout ends the request on the dark connection and the idempotent retry runs it on a fresh one")
        .When(t => t.HasCommandTimeout, Recovered, "Command Timeout ends each request on a dark connection and breaks it; fresh connections work")
        .When(t => !t.Pooling && !t.ViaPgBouncer, Survived, "every request opens a new connection; the dark ones are never used again")
        .When(t => t.ValidatesOnCheckout, Hung, "the validation query itself waits on the dark connection")
        .When(t => t.Keepalive is not null, Hung, "the keepalive query blocks on the dark connection and detects nothing")
        .When(t => t.TcpKeepalive, Hung, "TCP keepalive cannot help here: on loopback the frozen backend's kernel still acknowledges the probes (a real middlebox would not)");
}
