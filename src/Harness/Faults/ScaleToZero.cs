using Chaos.Harness.Proxy;

namespace Chaos.Harness.Faults;

/// <summary>
/// A serverless database suspends after an idle period: every connection is dropped, and requests that
/// come while it sleeps are refused until it wakes, with a slow first connect, and is healthy again.
/// Suspending when idle is what such databases do, and it keeps the verdict free of a race with a
/// COMMIT that happened to be in flight (commit-ack-lost covers that).
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
        await context.Workload.PauseAsync(ct);
        context.Ledger.MarkFault("suspended while idle: connections dropped, new ones refused");
        await context.Proxy.SetEnabledAsync(context.ProxyName, false, ct);
        context.Workload.Resume();
        await context.HoldAsync(Suspended, ct);
        await context.AddToxicAsync(ToxicSpec.Latency(WakeLatencyMs, 0, ToxicStream.Downstream) with { Name = "waking" }, ct);
        await context.Proxy.SetEnabledAsync(context.ProxyName, true, ct);
        context.Ledger.Note("note", "waking: connections accepted, slowly");
        await context.HoldAsync(Waking, ct);
        await HealAsync(context, ct);
        context.Ledger.MarkHeal("awake");
    }

    public async Task HealAsync(FaultContext context, CancellationToken ct)
    {
        await context.ClearProxyAsync(ct);
        context.Workload.Resume();
    }
}
