using Chaos.Harness.Expectations;
using Chaos.Harness.Scenarios;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>
/// Connections older than a limit are killed, as managed providers and poolers do to long-lived
/// sessions (claim 4: pool_recycle closes this gap).
/// </summary>
/// <remarks>
/// Like a provider's reaper, it kills connections between queries. The pool is quiesced for the kill so
/// that "idle" is still true when pg_terminate_backend lands (otherwise PgBouncer or the pool may hand
/// the connection out in between, and the verdict becomes a race); a kill inside a query is
/// backend-killed-mid-transaction. Traffic resumes after a short gap: long enough for PgBouncer to see
/// its server connections close, shorter than keepalive's and idle-lifetime's one second.
/// </remarks>
internal sealed class MaxConnectionAge : IFault
{
    private static readonly TimeSpan Limit = Timing.MaxConnectionAge;
    private static readonly TimeSpan Aging = Limit - Timing.WarmUp + TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Gap = TimeSpan.FromMilliseconds(300);

    public string Name => "max-connection-age";
    public string Description => $"Every connection older than {Limit.TotalSeconds:0} s is terminated between queries, after {Limit.TotalSeconds + 1:0} s under load.";

    public Scenario Scenario { get; } = Scenario.Of(
        new Hold(Aging),
        new Pause(),
        new Inject(Nemesis.Of(Capability.None, async (target, ct) =>
        {
            var (killed, missed) = await target.TerminateAppBackendsAsync("idle", Limit, ct);
            return new Injection($"{killed} connection(s) older than {Limit.TotalSeconds:0} s terminated", "traffic resumes", Missed: missed);
        })),
        new Hold(Gap),
        new Heal(),
        new Resume());

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Recovered, "connections past the age limit are killed between requests; the pool hands them out and the requests fail")
        .When(t => t.ValidatesOnCheckout, Survived, "SELECT 1 on rent catches the killed connection before the request uses it")
        .When(t => t.RecyclesBefore(Limit), Survived, $"Connection Lifetime retires connections before the {Limit.TotalSeconds:0} s limit reaches them")
        .When(t => t.EvictsIdleWithin(Limit), Survived, "idle connections are pruned within seconds, so few live long enough to be killed, and the pool drops those that are")
        .When(t => t.ViaPgBouncer, Survived, "PgBouncer's server connections are killed while idle; it replaces them before a client needs them")
        .When(t => !t.Pooling, Survived, "no connection lives long enough to be killed")
        .When(t => t.Retries, Survived, "the 57P01 is retried on a fresh connection")
        .When(t => t.KeepsAliveWithin(TimeSpan.FromSeconds(2)), Recovered,
            $"traffic resumes {Gap.TotalMilliseconds:0} ms after the kill, before a keepalive query would find the dead connections, and the pool hands them out; " +
            "but the pool is idle from the pause until then, and when the kill itself took long (0.9 s once, on a loaded machine) the 1 s keepalive ran first and dropped them (survived): " +
            "as in production, Keepalive saves a killed idle connection only if its query runs before the next request takes it",
            or: Survived);
}
