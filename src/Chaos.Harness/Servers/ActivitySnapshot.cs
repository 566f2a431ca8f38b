namespace Chaos.Harness.Servers;

/// <summary>One client backend as pg_stat_activity saw it.</summary>
public sealed record BackendActivity(int Pid, string ApplicationName, string State, TimeSpan Age)
{
    /// <summary>The role the backend logged in as.</summary>
    public string User { get; init; } = "";
}

/// <summary>The client backends of the cluster's database at one moment (the harness's own session excluded).</summary>
public sealed record ActivitySnapshot
{
    /// <summary>A snapshot of <paramref name="backends"/>.</summary>
    /// <param name="backends">The client backends seen.</param>
    public ActivitySnapshot(IReadOnlyList<BackendActivity> backends)
    {
        Backends = backends;
        Counts = backends
            .GroupBy(b => (b.ApplicationName, b.State))
            .ToDictionary(g => g.Key, g => g.Count());
    }

    /// <summary>Every client backend seen.</summary>
    public IReadOnlyList<BackendActivity> Backends { get; }

    /// <summary>How many client backends there were.</summary>
    public int Total => Backends.Count;

    /// <summary>Backends per (application_name, state).</summary>
    public IReadOnlyDictionary<(string App, string State), int> Counts { get; }

    /// <summary>Includes aborted transactions ("idle in transaction (aborted)"): both hold a server connection hostage.</summary>
    public int IdleInTransaction => Backends.Count(b => b.State.StartsWith("idle in transaction", StringComparison.Ordinal));

    /// <summary>How long the oldest backend had existed; null when there were none.</summary>
    public TimeSpan? OldestBackendAge => Backends.Count == 0 ? null : Backends.Max(b => b.Age);

    /// <summary>Backends of application <paramref name="app"/>, in <paramref name="state"/> when given ("idle", "active", "idle in transaction").</summary>
    /// <param name="app">The application_name.</param>
    /// <param name="state">The pg_stat_activity state, or null for any.</param>
    public int CountFor(string app, string? state = null) =>
        Backends.Count(b => b.ApplicationName == app && (state is null || b.State == state));
}
