using Chaos.Harness.Proxy;

namespace Chaos.Harness.Faults;

/// <summary>
/// A serverless database suspends: every connection is dropped and new ones are refused for a while,
/// then it wakes with a slow first connect and is healthy again.
/// </summary>
internal sealed class ScaleToZero : IFault
{
    private static readonly TimeSpan Suspended = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Waking = TimeSpan.FromSeconds(1);
    private const long WakeLatencyMs = 500;

    public string Name => "scale-to-zero";
    public string Description => $"Suspend: all connections dropped and refused for {Suspended.TotalSeconds:0} s; wake with {WakeLatencyMs} ms latency for {Waking.TotalSeconds:0} s.";

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        context.Ledger.MarkFault("suspended: connections dropped, new ones refused");
        await context.Proxy.SetEnabledAsync(context.ProxyName, false, ct);
        await context.HoldAsync(Suspended, ct);
        await context.AddToxicAsync(ToxicSpec.Latency(WakeLatencyMs, 0, ToxicStream.Downstream) with { Name = "waking" }, ct);
        await context.Proxy.SetEnabledAsync(context.ProxyName, true, ct);
        context.Ledger.Note("note", "waking: connections accepted, slowly");
        await context.HoldAsync(Waking, ct);
        await HealAsync(context, ct);
        context.Ledger.MarkHeal("awake");
    }

    public Task HealAsync(FaultContext context, CancellationToken ct) => context.ClearProxyAsync(ct);
}
