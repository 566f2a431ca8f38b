using Chaos.Harness.Servers;

namespace Chaos.Harness.Faults;

/// <summary>A fast restart (pg_ctl -m fast), as in a minor-version upgrade or a planned failover.</summary>
internal sealed class ServerRestart : IFault
{
    public string Name => "server-restart";
    public string Description => "Fast restart: every session gets 57P01, the server is down for a moment, then healthy.";
    public bool NeedsManagedServer => true;

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        context.Ledger.MarkFault("fast restart");
        await context.Cluster.RestartAsync(StopMode.Fast, ct);
        context.Ledger.MarkHeal("server accepting connections again");
    }

    public Task HealAsync(FaultContext context, CancellationToken ct) => Task.CompletedTask;
}
