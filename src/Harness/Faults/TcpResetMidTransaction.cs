using Chaos.Harness.Proxy;
using Chaos.Harness.Workload;

namespace Chaos.Harness.Faults;

/// <summary>
/// A load balancer or firewall resets the TCP connection while a transaction is open (reset_peer: a real
/// RST on the transaction's next statement). Other requests are held back meanwhile, so exactly one
/// transaction is struck.
/// </summary>
internal sealed class TcpResetMidTransaction : IFault
{
    public string Name => "tcp-reset-mid-transaction";
    public string Description => "TCP RST (proxy reset_peer) on the connection of an open transaction, after its first write.";

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        await context.StrikeOneTransactionAsync(HookPoint.AfterWrite, async (hit, token) =>
        {
            context.Ledger.MarkFault($"TCP reset under op {hit.Op.Id}'s open transaction");
            await context.AddToxicAsync(ToxicSpec.ResetPeer(0, ToxicStream.Upstream) with { Name = "reset-mid-transaction" }, token);
        }, ct);
        await HealAsync(context, ct);
        context.Ledger.MarkHeal("reset_peer removed; other requests resume");
    }

    public async Task HealAsync(FaultContext context, CancellationToken ct)
    {
        await context.ClearProxyAsync(ct);
        context.Workload.Resume();
    }
}
