using Chaos.Harness.Expectations;
using Chaos.Harness.Scenarios;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>
/// An operator (or a provider's housekeeping) runs pg_terminate_backend on every idle session of the
/// application, then traffic resumes after an idle period: claim 1's "first request after idle fails".
/// </summary>
internal sealed class IdleBackendsKilled : IFault
{
    public string Name => "idle-backends-killed";
    public string Description => "Warm the pool, pg_terminate_backend every idle backend, resume after an idle period.";

    public Scenario Scenario { get; } = Scenario.Of(
        new Pause(),
        new Inject(Nemesis.Of(Capability.None, async (target, ct) =>
        {
            var (killed, missed) = await target.TerminateAppBackendsAsync("idle", null, ct);
            return new Injection($"{killed} idle backend(s) of the app terminated", "traffic resumes after the idle period", Missed: missed);
        })),
        new Hold(Timing.IdlePeriod),
        new Heal(),
        new Resume());

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Recovered, "Npgsql does not validate on rent: each request that resumes on a killed pooled connection gets 57P01, which then clears the pool")
        .When(t => t.ValidatesOnCheckout, Survived, "SELECT 1 on rent meets the dead connection first and the retry rents a fresh one")
        .When(t => t.KeepsAliveWithin(Timing.IdlePeriod), Survived, $"the keepalive query finds each killed idle connection during the {Timing.IdlePeriod.TotalSeconds:0} s idle period and drops it")
        .When(t => t.RecyclesBefore(Timing.IdlePeriod), Survived, "after the idle period every pooled connection is past Connection Lifetime, so none is reused")
        .When(t => t.EvictsIdleWithin(Timing.IdlePeriod), Survived, "idle connections are pruned before the idle period ends, so the pool is empty when traffic resumes")
        .When(t => t.ViaPgBouncer, Survived, "PgBouncer sees its idle server connections close and opens new ones; the client side was never touched")
        .When(t => !t.Pooling, Survived, "every request opens a new connection; there is nothing stale to hand out")
        .When(t => t.Retries, Survived, "57P01 is transient to Npgsql, so the retry runs the request again on the freshly cleared pool")
        .When(t => t.TcpKeepalive, Recovered, "TCP keepalive probes an idle socket the server already closed cleanly; nothing checks it before the pool hands it out");
}
