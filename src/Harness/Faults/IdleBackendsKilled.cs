namespace Chaos.Harness.Faults;

/// <summary>
/// An operator (or a provider's housekeeping) runs pg_terminate_backend on every idle session of the
/// application, then traffic resumes after an idle period: claim 1's "first request after idle fails".
/// </summary>
internal sealed class IdleBackendsKilled : IFault
{
    public string Name => "idle-backends-killed";
    public string Description => "Warm the pool, pg_terminate_backend every idle backend, resume after an idle period.";

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        await context.Workload.PauseAsync(ct);
        context.Ledger.MarkFault("every idle backend of the app terminated");
        await context.TerminateAppBackendsAsync("idle", null, ct);
        await context.HoldAsync(Timing.IdlePeriod, ct);
        context.Ledger.MarkHeal("traffic resumes after the idle period");
        context.Workload.Resume();
    }

    public Task HealAsync(FaultContext context, CancellationToken ct)
    {
        context.Workload.Resume();
        return Task.CompletedTask;
    }
}
