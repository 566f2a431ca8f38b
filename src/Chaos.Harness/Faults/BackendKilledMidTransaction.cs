using Chaos.Harness.Expectations;
using Chaos.Harness.Scenarios;
using Chaos.Harness.Servers;
using Chaos.Harness.Workload;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>
/// The backend of an open transaction is terminated right after the transaction wrote: a failover, an
/// OOM kill or an operator. The transaction is lost; the question is what the application is told.
/// </summary>
internal sealed class BackendKilledMidTransaction : IFault
{
    public string Name => "backend-killed-mid-transaction";
    public string Description => "pg_terminate_backend on the backend of an open transaction, after its first write.";

    public Scenario Scenario { get; } = Scenario.StrikeOneTransaction(Nemesis.Of(Capability.None, async (target, ct) =>
    {
        var victim = target.RequireVictim();
        var killed = await target.Server.TerminateBackendsAsync(new BackendSelector { Pid = victim.BackendPid }, ct);
        return new Injection($"backend {victim.BackendPid} of op {victim.RequestId} terminated mid-transaction", "other requests resume",
            Missed: killed == 0 ? $"backend {victim.BackendPid} of op {victim.RequestId} was not there to terminate" : null);
    }), HookPoint.AfterWrite);

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Recovered, "the transaction is gone with its backend: the application gets exactly one 57P01, and no pool setting (PgBouncer included) can replay a transaction")
        .When(t => t.RetriesIdempotently, Survived, "the whole transaction is retried; it never committed, so nothing applies twice")
        .When(t => t.Retries, Survived, "the 57P01 arrives before COMMIT is sent, so the whole transaction is safely retried");
}
