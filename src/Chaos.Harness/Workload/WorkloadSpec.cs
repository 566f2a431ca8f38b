namespace Chaos.Harness.Workload;

/// <summary>What the simulated application does in one cell.</summary>
internal enum WorkMix
{
    /// <summary>Alternating reads and write transactions.</summary>
    ReadWrite,

    /// <summary>Large reads alternating with write transactions.</summary>
    LargeReads,

    /// <summary>Requests that rely on session state across transactions.</summary>
    SessionState,

    /// <summary>Reads alternating with writes that read their own rows right after the COMMIT.</summary>
    ReadYourWrites,
}

/// <param name="Workers">Concurrent request loops per app instance.</param>
/// <param name="Instances">App instances, each with its own pool (data source).</param>
internal sealed record WorkloadSpec(int Workers = 4, int Instances = 1, WorkMix Mix = WorkMix.ReadWrite)
{
    /// <summary>Rows in a large read, and the bytes of each: about 1 MB in all.</summary>
    public const int LargeReadRows = 5000;
    public const int LargeReadWidth = 200;

    /// <summary>How long a held session waits on its "external call".</summary>
    public static readonly TimeSpan HoldFor = TimeSpan.FromSeconds(2);

    public static WorkloadSpec Default { get; } = new();

    /// <summary>Tenants of a session-state workload: one schema per worker.</summary>
    public int Tenants => Mix == WorkMix.SessionState ? Workers : 0;
}
