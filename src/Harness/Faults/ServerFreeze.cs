namespace Chaos.Harness.Faults;

/// <summary>
/// The whole server stops answering for a few seconds and resumes (a VM paused for live migration, a
/// long GC-like stall of the host, storage hanging): sockets stay open, nothing is lost.
/// </summary>
/// <remarks>
/// The window is 6 s on purpose. With the server frozen, Npgsql's Command Timeout does not fail a query on
/// its own: it opens a connection for the cancel request, which the frozen postmaster never answers, so the
/// query fails only after Command Timeout plus the connect Timeout (4 s for command-timeout). 6 s keeps two
/// seconds between that and the window, and two between the window and the hang threshold.
/// </remarks>
internal sealed class ServerFreeze : IFault
{
    private static readonly TimeSpan Frozen = TimeSpan.FromSeconds(6);

    public string Name => "server-freeze";
    public string Description => $"SIGSTOP the postmaster and every backend for {Frozen.TotalSeconds:0} s, then SIGCONT.";
    public bool NeedsManagedServer => true;

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        context.Ledger.MarkFault("server frozen");
        await context.Cluster.FreezeAsync(ct);
        await context.HoldAsync(Frozen, ct);
        await context.Cluster.ThawAsync(ct);
        context.Ledger.MarkHeal("server thawed");
    }

    public Task HealAsync(FaultContext context, CancellationToken ct) => context.Cluster.ThawAsync(ct);
}
