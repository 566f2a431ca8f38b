using Chaos.Harness.Workload;

namespace Chaos.Harness.Faults;

/// <summary>
/// More concurrent requests than the pool holds, each keeping its connection through a slow external
/// call (claim 5): a bounded pool fails fast, an unbounded one queues or overflows the server.
/// </summary>
internal sealed class PoolExhaustion : IFault
{
    private const int Burst = 30;

    public string Name => "pool-exhaustion";
    public string Description => $"A burst of {Burst} requests that each hold a connection for {Requests.HoldFor.TotalSeconds:0} s.";

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        context.Ledger.MarkFault($"burst of {Burst} long-held sessions");
        await context.Workload.BurstAsync(OpKind.Hold, Burst);
        context.Ledger.MarkHeal("burst over");
    }

    public Task HealAsync(FaultContext context, CancellationToken ct) => Task.CompletedTask;
}
