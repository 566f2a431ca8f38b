using Chaos.Harness.Servers;

namespace Chaos.Harness.Faults;

/// <summary>An immediate stop (a crash or a kill -9 of the host), down for a second, then crash recovery.</summary>
internal sealed class ServerCrash : IFault
{
    private static readonly TimeSpan Down = TimeSpan.FromSeconds(1);

    public string Name => "server-crash";
    public string Description => $"Immediate stop, down for {Down.TotalSeconds:0} s, start with crash recovery.";
    public bool NeedsManagedServer => true;

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        context.Ledger.MarkFault("immediate stop (crash)");
        await context.Cluster.StopAsync(StopMode.Immediate, ct);
        await context.HoldAsync(Down, ct);
        await context.Cluster.StartAsync(ct);
        context.Ledger.MarkHeal("server recovered and accepting connections");
    }

    public Task HealAsync(FaultContext context, CancellationToken ct) => context.Cluster.StartAsync(ct);
}
