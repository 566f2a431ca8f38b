using Chaos.Harness.Environments;
using Chaos.Harness.Expectations;
using Chaos.Harness.Scenarios;
using Chaos.Harness.Workload;
using static Chaos.Harness.Checking.Verdict;

namespace Chaos.Harness.Faults;

/// <summary>
/// PgBouncer in transaction mode hands each transaction whichever server connection is free, so state
/// an application set on "its" session (search_path, prepared statements, advisory locks) is gone or,
/// worse, someone else's (claim 7). The fault is the pooler itself: the workload relies on session state.
/// </summary>
internal sealed class SessionStateLoss : IFault
{
    private const int ServerConnections = 2;

    public string Name => "session-state-loss";
    public string Description => "Through PgBouncer transaction pooling: SET search_path, a prepared statement and an advisory lock across transactions.";
    public Capability Needs => Capability.TransactionPooler;
    public WorkloadSpec Workload => new(Workers: 4, Mix: WorkMix.SessionState);

    // Fewer server connections than clients, as in production, so transactions share them.
    public EnvironmentSpec Environment(EnvironmentSpec spec) => spec with
    {
        Pooler = spec.Pooler is { } pooler ? pooler with { DefaultPoolSize = ServerConnections } : null,
    };

    public Scenario Scenario { get; } = Scenario.Window(
        Nemesis.Mark("session state relied on across transactions, through transaction pooling", "(nothing to heal: the pooler is the fault)"),
        Timing.FaultHold);

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Corrupted, "transaction pooling hands each transaction any server connection: search_path and advisory locks set by one client are seen by another");
}
