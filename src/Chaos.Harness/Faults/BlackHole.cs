using Chaos.Harness.Expectations;
using Chaos.Harness.Proxy;
using Chaos.Harness.Scenarios;
using Chaos.Harness.Workload;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>
/// The fault proxy swallows every byte in both directions (Toxiproxy's timeout toxic at 0) while
/// connections stay open: requests in use wait for answers that never come. Healing removes the toxic,
/// and like real Toxiproxy that closes every connection the toxic held: the application sees an
/// end-of-stream, not a network that comes back. (A network that goes silent and comes back, with TCP
/// retransmitting what was lost, is the kernel path's network-partition.)
/// </summary>
/// <remarks>
/// The black hole lands while a write transaction is open, so a request is always in its body when it
/// strikes: left to chance, whether any request was past its checkout at that instant decided between
/// survived and recovered for validation on checkout, whose ping otherwise meets the closed connection
/// first. The other requests are held back only while it strikes, then run into it: that way no COMMIT is
/// caught half-answered at the instant the toxics go in (commit-ack-lost is that fault), which left to
/// chance made the retrying profiles come out recovered once in a while.
/// </remarks>
internal sealed class BlackHole : IFault
{
    public string Name => "black-hole";
    public string Description => "No bytes pass in either direction and nothing closes until the heal, which closes the held connections (as Toxiproxy does).";

    public Scenario Scenario { get; } = Scenario.Of(
        new InjectAtHook(Nemesis.Toxics(
            target => $"black hole under op {target.RequireVictim().RequestId}'s open transaction: no bytes pass, nothing closes",
            "toxic removed: the connections it held are closed, new ones work",
            ToxicSpec.Timeout(0, ToxicStream.Upstream) with { Name = "black-hole-up" },
            ToxicSpec.Timeout(0, ToxicStream.Downstream) with { Name = "black-hole-down" }), HookPoint.AfterWrite, Isolate: true),
        new Resume(),
        new Hold(Timing.FaultHold),
        new Heal());

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Recovered, "requests in flight wait out the black hole and get an end-of-stream error when the heal closes their connections; new connections work")
        .When(t => t.Retries, Survived, "the end-of-stream at the heal is transient and comes before COMMIT, so the request runs again on a fresh connection")
        .When(t => t.HasCommandTimeout, Recovered, "Command Timeout ends the swallowed requests during the hold, which breaks their connections; new ones work once the path is back");
}
