using Chaos.Harness.Expectations;
using Chaos.Harness.Scenarios;
using Chaos.Harness.Servers;
using Chaos.Harness.Workload;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>
/// The whole server stops answering for a few seconds and resumes (a VM paused for live migration, a
/// long GC-like stall of the host, storage hanging): sockets stay open, nothing is lost.
/// </summary>
/// <remarks>
/// The window is 6 s on purpose. With the server frozen, Npgsql's Command Timeout does not fail a query on
/// its own: it opens a connection for the cancel request, which the frozen postmaster never answers, so the
/// query fails only after Command Timeout plus the connect Timeout (4 s for command-timeout). 6 s keeps two
/// seconds between that and the window, and two between the window and the hang threshold.
/// </remarks>
internal sealed class ServerFreeze : IFault
{
    private static readonly TimeSpan Frozen = TimeSpan.FromSeconds(6);

    public string Name => "server-freeze";
    public string Description => $"SIGSTOP the postmaster and every backend for {Frozen.TotalSeconds:0} s, then SIGCONT.";

    // Frozen while one write transaction is open and the others held back: no COMMIT is in flight when it
    // stops, so no command timeout fires during one (EF Core reports that as an ObjectDisposedException).
    public Scenario Scenario { get; } = Scenario.Of(
        new InjectAtHook(Nemesis.Of(Capability.Freeze, async (target, ct) =>
        {
            var server = target.Require<IFreezable>();
            await server.FreezeAsync(ct);
            return new Injection($"server frozen while op {target.RequireVictim().RequestId} holds an open transaction", "server thawed", server.ThawAsync);
        }), HookPoint.AfterWrite, Isolate: true),
        new Resume(),
        new Hold(Frozen),
        new Heal());

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Survived, $"sockets stay open and requests simply wait {Frozen.TotalSeconds:0} seconds; nothing in Npgsql's defaults gives up that soon, and nothing is lost")
        .When(t => t.HasCommandTimeout && t.RetriesIdempotently, Survived, "queries fail at Command Timeout plus the connect Timeout, and the idempotent retry runs them again once the server thaws")
        .When(t => t.HasCommandTimeout, Recovered, "with the postmaster frozen the cancel request cannot be sent, so a query fails at Command Timeout plus the connect Timeout");
}
