namespace Chaos.Harness.History;

/// <summary>
/// What happened in one cell, immutable: every operation and how it ended, the fault windows, when the
/// workload stopped, and the timeline. The checkers judge the cell from this and the final state alone.
/// </summary>
/// <param name="StopAtMs">When the workload stopped invoking operations.</param>
/// <param name="EndMs">When the history was taken.</param>
internal sealed record CellHistory(
    IReadOnlyList<Op> Ops,
    IReadOnlyList<FaultWindow> Windows,
    double? StopAtMs,
    double EndMs,
    IReadOnlyList<TimelineEvent> Timeline)
{
    /// <summary>The application's server connections over time, as the sampler counted them.</summary>
    public IReadOnlyList<ConnectionSample> Samples { get; init; } = [];

    /// <summary>When the first fault struck.</summary>
    public double? FaultAtMs => Windows.Count == 0 ? null : Windows[0].FaultAtMs;

    /// <summary>When the last window closed; null when none closed.</summary>
    public double? HealAtMs => Windows.LastOrDefault(w => w.HealAtMs is not null)?.HealAtMs;
}

/// <summary>The application's server connections at one moment.</summary>
internal sealed record ConnectionSample(double AtMs, int ServerConnections);
