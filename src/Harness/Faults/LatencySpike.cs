using Chaos.Harness.Proxy;

namespace Chaos.Harness.Faults;

/// <summary>Added latency with jitter on every answer, under load (a congested link, a noisy neighbour).</summary>
internal sealed class LatencySpike : IFault
{
    private const long LatencyMs = 300;
    private const long JitterMs = 100;

    public string Name => "latency-spike";
    public string Description => $"{LatencyMs} ± {JitterMs} ms on every answer for {Timing.FaultHold.TotalSeconds:0} s.";

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        context.Ledger.MarkFault($"latency {LatencyMs} ± {JitterMs} ms");
        await context.AddToxicAsync(ToxicSpec.Latency(LatencyMs, JitterMs, ToxicStream.Downstream) with { Name = "latency-spike" }, ct);
        await context.HoldAsync(Timing.FaultHold, ct);
        await HealAsync(context, ct);
        context.Ledger.MarkHeal("latency back to normal");
    }

    public Task HealAsync(FaultContext context, CancellationToken ct) => context.ClearProxyAsync(ct);
}
