using Chaos.Harness.Workload;

namespace Chaos.Harness.Faults;

/// <summary>
/// The backend of an open transaction is terminated right after the transaction wrote: a failover, an
/// OOM kill or an operator. The transaction is lost; the question is what the application is told.
/// </summary>
internal sealed class BackendKilledMidTransaction : IFault
{
    public string Name => "backend-killed-mid-transaction";
    public string Description => "pg_terminate_backend on the backend of an open transaction, after its first write.";

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        var hit = await context.Workload.Hooks.ArmAsync(HookPoint.AfterWrite, async (hit, token) =>
        {
            await context.Workload.IsolateAsync(token);
            context.Ledger.MarkFault($"backend {hit.BackendPid} of op {hit.Op.Id} terminated mid-transaction");
            await context.Cluster.TerminateBackendsAsync(new() { Pid = hit.BackendPid }, token);
        }).WaitAsync(Timing.HangAfter, context.Time, ct);
        await context.WaitUntilAsync(() => hit.Op.FailedAttempts > 0 || hit.Op.Outcome != Outcome.Pending, ct);
        context.Workload.Resume();
        context.Ledger.MarkHeal($"op {hit.Op.Id}'s attempt failed; other requests resume");
    }

    public Task HealAsync(FaultContext context, CancellationToken ct)
    {
        context.Workload.Resume();
        return Task.CompletedTask;
    }
}
