namespace Chaos.Harness.Checking;

/// <summary>How many rows of one part of one write the database holds.</summary>
public sealed record WriteRows(Guid WriteId, int Part, int Count);

/// <summary>What the final read over a direct admin connection found, after every fault was healed.</summary>
public sealed record FinalState
{
    public IReadOnlyList<WriteRows> Rows { get; init; } = [];

    /// <summary>The application's sessions left idle in transaction once the workload had stopped.</summary>
    public int IdleInTransaction { get; init; }

    /// <summary>The application's sessions holding advisory or relation locks once the workload had stopped.</summary>
    public int HoldingLocks { get; init; }

    /// <summary>The application's server connections still open after its pools were disposed.</summary>
    public int LeftoverConnections { get; init; }

    public int PeakServerConnections { get; init; }

    /// <summary>The cell outlived <see cref="Timing.CellWatchdog"/>.</summary>
    public bool WatchdogFired { get; init; }
}
