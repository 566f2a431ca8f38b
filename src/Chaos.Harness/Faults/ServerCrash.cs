using Chaos.Harness.Profiles.Policies;
using Chaos.Harness.Environments;
using Chaos.Harness.Drivers.EfCore;
using Chaos.Harness.Expectations;
using Chaos.Harness.Scenarios;
using Chaos.Harness.Servers;
using Chaos.Harness.Workload;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>An immediate stop (a crash or a kill -9 of the host), down for a second, then crash recovery.</summary>
/// <remarks>
/// The crash lands while one write transaction is open, so a request is always in flight: PgBouncer
/// hides a short outage from clients idle at that instant, and left to chance its cells flipped between
/// survived and recovered. The other requests are held back only while it strikes, then meet the downed
/// server: that way no other request's COMMIT is caught at the instant of the crash, whose fate (a WAL
/// record not yet written, a transaction id handed out again after recovery) would decide cells by chance.
/// </remarks>
internal sealed class ServerCrash : IFault
{
    // Longer than any profile's retries last (Polly's 0.7 s, EF Core's at most about 1 s), with a second to spare.
    private static readonly TimeSpan Down = TimeSpan.FromSeconds(2);

    public string Name => "server-crash";
    public string Description => $"Immediate stop, down for {Down.TotalSeconds:0} s, start with crash recovery.";
    public Capability Needs => Scenario.Needs | Capability.ServerConfiguration;

    // The harness runs servers with synchronous_commit off for speed; a crash would then lose commits
    // it had acknowledged, which is the configuration's doing, not the pool's. Only the process dies
    // here, not the OS, so fsync can stay off.
    public EnvironmentSpec Environment(EnvironmentSpec spec) => spec with
    {
        Server = spec.Server with { Settings = new Dictionary<string, string>(spec.Server.Settings) { ["synchronous_commit"] = "on" } },
    };

    public Scenario Scenario { get; } = Scenario.Of(
        new InjectAtHook(Nemesis.Of(Capability.ProcessControl, async (target, ct) =>
        {
            var victim = target.RequireVictim();
            var server = target.Require<IProcessControl>();
            await server.StopAsync(StopMode.Immediate, ct);
            return new Injection($"immediate stop (crash) while op {victim.RequestId} holds an open transaction", "server recovered and accepting connections", server.StartAsync);
        }), HookPoint.AfterWrite, Isolate: true),
        new Resume(),
        new Hold(Down),
        new Heal());

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Recovered, "the crash drops every connection and refuses new ones during crash recovery; acknowledged writes survive (synchronous_commit on)")
        .When(t => t.Retries, Recovered, $"the server is down for {Down.TotalSeconds:0} s plus crash recovery, longer than the retries' {RetryBackoff.Total.TotalSeconds:0.#} s of backoff (EF Core's strategy: at most {ScaledRetryingStrategy.MaxTotalBackoff.TotalSeconds:0.#} s)");
}
