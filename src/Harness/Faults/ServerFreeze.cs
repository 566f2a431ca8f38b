namespace Chaos.Harness.Faults;

/// <summary>
/// The whole server stops answering for a few seconds and resumes (a VM paused for live migration, a
/// long GC-like stall of the host, storage hanging): sockets stay open, nothing is lost.
/// </summary>
internal sealed class ServerFreeze : IFault
{
    public string Name => "server-freeze";
    public string Description => $"SIGSTOP the postmaster and every backend for {Timing.FaultHold.TotalSeconds:0} s, then SIGCONT.";
    public bool NeedsManagedServer => true;

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        context.Ledger.MarkFault("server frozen");
        await context.Cluster.FreezeAsync(ct);
        await context.HoldAsync(Timing.FaultHold, ct);
        await context.Cluster.ThawAsync(ct);
        context.Ledger.MarkHeal("server thawed");
    }

    public Task HealAsync(FaultContext context, CancellationToken ct) => context.Cluster.ThawAsync(ct);
}
