using Chaos.Harness.History;

namespace Chaos.Harness.Checking;

/// <summary>What the harness found after every fault was healed: the final read, leftovers, and its own troubles.</summary>
internal sealed record FinalState
{
    /// <summary>The final read of the writes table, through the topology's read target.</summary>
    public IReadOnlyList<WriteRows> Rows { get; init; } = [];

    /// <summary>The application's sessions left idle in transaction once the workload had stopped.</summary>
    public int IdleInTransaction { get; init; }

    /// <summary>The application's sessions holding advisory locks once the workload had stopped.</summary>
    public int HoldingLocks { get; init; }

    /// <summary>The application's server connections still open after its pools were disposed.</summary>
    public int LeftoverConnections { get; init; }

    public int PeakServerConnections { get; init; }

    /// <summary>The cell outlived <see cref="Timing.CellWatchdog"/>.</summary>
    public bool WatchdogFired { get; init; }

    /// <summary>What kept the harness from doing its part (a fault that struck nothing, a heal that failed): the cell cannot be judged.</summary>
    public IReadOnlyList<string> HarnessProblems { get; init; } = [];
}
