namespace Chaos.Harness.Reports;

/// <summary>
/// Where a cell's time went, in milliseconds: starting its environment and schema, the warm-up, the
/// scenario (the fault's own time), the workload after it, and everything after the workload stopped
/// (heals, leftover checks, pools disposed, the drain of hung requests, the final read, judging, stopping
/// the servers). `chaos bench matrix` adds them up to show what to shorten.
/// </summary>
internal sealed record CellPhases(double SetupMs, double WarmUpMs, double ScenarioMs, double AfterMs, double TeardownMs)
{
    public static CellPhases None { get; } = new(0, 0, 0, 0, 0);

    public double TotalMs => SetupMs + WarmUpMs + ScenarioMs + AfterMs + TeardownMs;
}
