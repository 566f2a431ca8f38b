namespace Chaos.Harness.Faults;

/// <summary>
/// A middlebox (NAT, load balancer, firewall) forgets idle connections: they go dark with no FIN and no
/// RST, forever, while new connections work. Simulated by freezing (SIGSTOP) exactly the backends that
/// were idle, so their sockets stay open and swallow requests; the proxy could not do this, because a
/// toxic applies to new connections too. On loopback the kernel still answers TCP keepalive probes for
/// a frozen backend, which a real middlebox would not: tcp-keepalive cannot show its benefit here.
/// </summary>
internal sealed class SilentIdleDrop : IFault
{
    private static readonly TimeSpan Dark = Timing.HangAfter + TimeSpan.FromSeconds(1);
    private IReadOnlyList<int> _frozen = [];

    public string Name => "silent-idle-drop";
    public string Description => "Idle connections go dark (no FIN, no RST) while new ones work, as after a middlebox forgets them.";
    public bool NeedsManagedServer => true;

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        await context.Workload.PauseAsync(ct);
        _frozen = await context.Cluster.FreezeBackendsAsync(new() { ApplicationName = context.ApplicationName, State = "idle" }, ct);
        context.Ledger.MarkFault($"{_frozen.Count} idle connection(s) went dark");
        context.Workload.Resume();
        await context.HoldAsync(Dark, ct);
        await HealAsync(context, ct);
        context.Ledger.MarkHeal("dark connections' backends terminated");
    }

    public async Task HealAsync(FaultContext context, CancellationToken ct)
    {
        // The forgotten connections never come back: their backends are ended, not resumed.
        await context.Cluster.TerminateAndThawBackendsAsync(_frozen, ct);
        _frozen = [];
    }
}
