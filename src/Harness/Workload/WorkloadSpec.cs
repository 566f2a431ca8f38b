namespace Chaos.Harness.Workload;

/// <summary>What the simulated application does in one cell.</summary>
public enum WorkMix
{
    /// <summary>Alternating reads and write transactions.</summary>
    ReadWrite,

    /// <summary>Large reads alternating with write transactions.</summary>
    LargeReads,

    /// <summary>Requests that rely on session state across transactions.</summary>
    SessionState,
}

/// <param name="Workers">Concurrent request loops per app instance.</param>
/// <param name="Instances">App instances, each with its own pool (data source).</param>
public sealed record WorkloadSpec(int Workers = 4, int Instances = 1, WorkMix Mix = WorkMix.ReadWrite)
{
    public static WorkloadSpec Default { get; } = new();
}
