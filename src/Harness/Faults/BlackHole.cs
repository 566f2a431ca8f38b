using Chaos.Harness.Proxy;

namespace Chaos.Harness.Faults;

/// <summary>
/// A network path that swallows everything and closes nothing (a dead NAT entry, a security group
/// change, a hung host): connections in use wait for answers that never come, idle ones look fine.
/// </summary>
internal sealed class BlackHole : IFault
{
    public string Name => "black-hole";
    public string Description => "No bytes pass in either direction and nothing closes, for connections in use and idle.";

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        context.Ledger.MarkFault("black hole: no bytes pass, nothing closes");
        await context.AddToxicAsync(ToxicSpec.Timeout(0, ToxicStream.Upstream) with { Name = "black-hole-up" }, ct);
        await context.AddToxicAsync(ToxicSpec.Timeout(0, ToxicStream.Downstream) with { Name = "black-hole-down" }, ct);
        await context.HoldAsync(Timing.FaultHold, ct);
        await HealAsync(context, ct);
        context.Ledger.MarkHeal("bytes flow again (what was swallowed stays lost)");
    }

    public Task HealAsync(FaultContext context, CancellationToken ct) => context.ClearProxyAsync(ct);
}
