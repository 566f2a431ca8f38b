using Chaos.Harness.Workload;

namespace Chaos.Harness.Faults;

/// <summary>
/// The backend of an open transaction is terminated right after the transaction wrote: a failover, an
/// OOM kill or an operator. The transaction is lost; the question is what the application is told.
/// Other requests are held back meanwhile, so exactly one transaction is struck.
/// </summary>
internal sealed class BackendKilledMidTransaction : IFault
{
    public string Name => "backend-killed-mid-transaction";
    public string Description => "pg_terminate_backend on the backend of an open transaction, after its first write.";

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        await context.StrikeOneTransactionAsync(HookPoint.AfterWrite, async (hit, token) =>
        {
            context.Ledger.MarkFault($"backend {hit.BackendPid} of op {hit.Op.Id} terminated mid-transaction");
            await context.Cluster.TerminateBackendsAsync(new() { Pid = hit.BackendPid }, token);
        }, ct);
        await HealAsync(context, ct);
        context.Ledger.MarkHeal("other requests resume");
    }

    public Task HealAsync(FaultContext context, CancellationToken ct)
    {
        context.Workload.Resume();
        return Task.CompletedTask;
    }
}
