using Chaos.Harness.Profiles;
using Chaos.Harness.Servers;
using Chaos.Harness.Workload;

namespace Chaos.Harness.Faults;

/// <summary>
/// PgBouncer in transaction mode hands each transaction whichever server connection is free, so state
/// an application set on "its" session (search_path, prepared statements, advisory locks) is gone or,
/// worse, someone else's (claim 7). The fault is the pooler itself: the workload relies on session state.
/// </summary>
internal sealed class SessionStateLoss : IFault
{
    public string Name => "session-state-loss";
    public string Description => "Through PgBouncer transaction pooling: SET search_path, a prepared statement and an advisory lock across transactions.";
    public WorkloadSpec Workload => new(Workers: 4, Mix: WorkMix.SessionState);

    public string? NotApplicableTo(Profile profile) =>
        profile.Route == Route.PgBouncer ? null : "a PgBouncer fault: direct connections keep their session";

    // Fewer server connections than clients, as in production, so transactions share them.
    public PgBouncerOptions Bouncer(PgBouncerOptions options) => new() { Mode = PoolMode.Transaction, DefaultPoolSize = 2, MaxClientConn = options.MaxClientConn, Settings = options.Settings };

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        context.Ledger.MarkFault("session state relied on across transactions, through transaction pooling");
        await context.HoldAsync(Timing.FaultHold, ct);
        context.Ledger.MarkHeal("(nothing to heal: the pooler is the fault)");
    }

    public Task HealAsync(FaultContext context, CancellationToken ct) => Task.CompletedTask;
}
