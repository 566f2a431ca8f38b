using Chaos.Harness.Proxy;
using Chaos.Harness.Workload;

namespace Chaos.Harness.Faults;

/// <summary>
/// A load balancer or firewall resets the TCP connection while a transaction is open (reset_peer: a real
/// RST). Every connection through the proxy that sends data while the toxic is in place is reset, the
/// open transaction's first.
/// </summary>
internal sealed class TcpResetMidTransaction : IFault
{
    private const string Toxic = "reset-mid-transaction";

    public string Name => "tcp-reset-mid-transaction";
    public string Description => "TCP RST (proxy reset_peer) on the connection of an open transaction, after its first write.";

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        var hit = await context.Workload.Hooks.ArmAsync(HookPoint.AfterWrite, async (hit, token) =>
        {
            await context.Workload.IsolateAsync(token);
            context.Ledger.MarkFault($"TCP reset armed under op {hit.Op.Id}'s open transaction");
            await context.AddToxicAsync(ToxicSpec.ResetPeer(0, ToxicStream.Upstream) with { Name = Toxic }, token);
        }).WaitAsync(Timing.HangAfter, context.Time, ct);
        // The victim's next statement trips the reset; lift the toxic as soon as its attempt has failed.
        await context.WaitUntilAsync(() => hit.Op.FailedAttempts > 0 || hit.Op.Outcome != Outcome.Pending, ct);
        await HealAsync(context, ct);
        context.Workload.Resume();
        context.Ledger.MarkHeal("reset_peer removed");
    }

    public async Task HealAsync(FaultContext context, CancellationToken ct)
    {
        await context.ClearProxyAsync(ct);
        context.Workload.Resume();
    }
}
