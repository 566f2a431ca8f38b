using Chaos.Harness.Proxy;
using Chaos.Harness.Workload;

namespace Chaos.Harness.Faults;

/// <summary>
/// The connection dies part-way through a large result (limit_data): the application must get an
/// error, never a silently shorter result.
/// </summary>
internal sealed class DataCut : IFault
{
    private const long CutAfterBytes = 256 * 1024;

    public string Name => "data-cut";
    public string Description => $"Connections are closed after {CutAfterBytes / 1024} KB, part-way through ~1 MB results, for {Timing.FaultHold.TotalSeconds:0} s.";
    public WorkloadSpec Workload => new(Workers: 4, Mix: WorkMix.LargeReads);

    public async Task InjectAsync(FaultContext context, CancellationToken ct)
    {
        context.Ledger.MarkFault($"connections cut after {CutAfterBytes / 1024} KB");
        await context.AddToxicAsync(ToxicSpec.LimitData(CutAfterBytes, ToxicStream.Downstream) with { Name = "data-cut" }, ct);
        await context.HoldAsync(Timing.FaultHold, ct);
        await HealAsync(context, ct);
        context.Ledger.MarkHeal("limit lifted");
    }

    public Task HealAsync(FaultContext context, CancellationToken ct) => context.ClearProxyAsync(ct);
}
