using Chaos.Harness.Profiles.Policies;
using Chaos.Harness.Drivers.EfCore;
using Chaos.Harness.Expectations;
using Chaos.Harness.Proxy;
using Chaos.Harness.Scenarios;
using Chaos.Harness.Workload;
using static Chaos.Harness.Checking.Verdict;

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

    public Scenario Scenario { get; } = Scenario.Window(Nemesis.Toxics(
        _ => $"connections cut after {CutAfterBytes / 1024} KB", "limit lifted",
        ToxicSpec.LimitData(CutAfterBytes, ToxicStream.Downstream) with { Name = "data-cut" }), Timing.FaultHold);

    public ExpectationRules Expected { get; } = ExpectationRules
        .Otherwise(Recovered, "Npgsql raises an error when the connection dies mid-result; the application never sees a silently shorter result")
        .When(t => t.Retries, Recovered,
            $"every attempt is cut while the fault lasts ({Timing.FaultHold.TotalSeconds:0} s), longer than the retries' {RetryBackoff.Total.TotalSeconds:0.#} s of backoff (EF Core's strategy: at most {ScaledRetryingStrategy.MaxTotalBackoff.TotalSeconds:0.#} s), " +
            "but each attempt also spends 0.2 to 0.6 s connecting and reading its 256 KB: whether the last of EF Core's six retries (or the resilient policy's) still falls inside the cut decides between recovered and survived; " +
            "either way no result is cut short",
            or: Survived);
}
