using Chaos.Harness.Servers;
using Chaos.Harness.Workload;

namespace Chaos.Harness.Faults;

/// <summary>A fast restart (pg_ctl -m fast), as in a minor-version upgrade or a planned failover.</summary>
internal sealed class ServerRestart : IFault
{
    public string Name => "server-restart";
    public string Description => "Fast restart: every session gets 57P01, the server is down for a moment, then healthy.";
    public bool NeedsManagedServer => true;

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        // Restart while one write transaction is open, so a request is always in flight when the
        // sessions end. Left to chance, whether any request was mid-query at that instant decided
        // between survived and recovered behind PgBouncer, which hides the restart from idle clients.
        // The other requests keep running and meet the restart as they would in production.
        await context.StrikeDuringTransactionAsync(HookPoint.AfterWrite, async (hit, token) =>
        {
            context.Ledger.MarkFault($"fast restart while op {hit.Op.Id} holds an open transaction");
            await context.Cluster.RestartAsync(StopMode.Fast, token);
        }, ct);
        context.Ledger.MarkHeal("server accepting connections again");
    }

    public Task HealAsync(FaultContext context, CancellationToken ct) => Task.CompletedTask;
}
